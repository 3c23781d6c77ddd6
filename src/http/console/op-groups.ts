/**
 * The children of an operation with many of them (a map of thousands of items, a wide parallel) are grouped: the
 * tree shows their count by status and one page of them, filtered by status on request, never a wall of rows.
 * The page and filter of each group travel in the page's query (`items.<opId>=<page>`, `status.<opId>=<STATUS>`),
 * so links, reloads and the live refresh keep them.
 */
import { html } from "hono/html"
import { STATUS_CLASSES } from "./format.ts"
import { type Html, statusBadge } from "./layout.ts"
import type { TreeRow } from "./tree.ts"

/** Children shown per page of a group; an operation with more children than this is grouped. */
export const GROUP_PAGE = 25

export interface GroupChoice {
  readonly page: number
  readonly status?: string
}

/** What the reader chose for each group, from the page's query. */
export type GroupChoices = ReadonlyMap<string, GroupChoice>

export interface Group {
  readonly parentId: string
  readonly total: number
  readonly byStatus: ReadonlyArray<readonly [string, number]>
  readonly status?: string
  /** Children that pass the status filter, and the page of them shown (0-based). */
  readonly matching: number
  readonly page: number
}

const PARAM = /^(items|status)\.(.{1,200})$/u

export const groupChoicesOf = (params: URLSearchParams): GroupChoices => {
  const choices = new Map<string, { page: number; status?: string }>()
  for (const [key, value] of params) {
    const match = PARAM.exec(key)
    if (match === null) continue
    const id = match[2]!
    const choice = choices.get(id) ?? { page: 0 }
    if (match[1] === "items" && /^\d{1,6}$/.test(value)) choice.page = Number(value)
    if (match[1] === "status" && /^[A-Z_]{1,20}$/.test(value)) choice.status = value
    choices.set(id, choice)
  }
  return choices
}

/** The query string that keeps every group's choice, with `change` applied (no leading `?`; "" when empty). */
export const groupSearch = (choices: GroupChoices, change?: { readonly parentId: string; readonly choice: GroupChoice }): string => {
  const all = new Map(choices)
  if (change !== undefined) all.set(change.parentId, change.choice)
  const params = new URLSearchParams()
  for (const [id, choice] of all) {
    if (choice.page > 0) params.set(`items.${id}`, String(choice.page))
    if (choice.status !== undefined) params.set(`status.${id}`, choice.status)
  }
  return params.toString()
}

/**
 * The rows to draw (each grouped operation with one page of its children, and their own children) and the groups.
 * Rows are in tree order (tree.ts), so a skipped child's descendants are the deeper rows that follow it.
 */
export const groupRows = (rows: ReadonlyArray<TreeRow>, choices: GroupChoices): { rows: Array<TreeRow>; groups: Map<string, Group> } => {
  const children = new Map<string, Array<TreeRow>>()
  const ids = new Set(rows.map((row) => row.op.id))
  for (const row of rows) {
    const parent = row.op.parentId
    if (parent === undefined || !ids.has(parent)) continue
    const list = children.get(parent) ?? []
    list.push(row)
    children.set(parent, list)
  }
  const groups = new Map<string, Group>()
  const kept = new Set<string>()
  for (const [parentId, list] of children) {
    if (list.length <= GROUP_PAGE) continue
    const choice = choices.get(parentId) ?? { page: 0 }
    const counts = new Map<string, number>()
    for (const row of list) counts.set(row.op.status, (counts.get(row.op.status) ?? 0) + 1)
    const matching = choice.status === undefined ? list : list.filter((row) => row.op.status === choice.status)
    const pages = Math.max(1, Math.ceil(matching.length / GROUP_PAGE))
    const page = Math.min(choice.page, pages - 1)
    for (const row of matching.slice(page * GROUP_PAGE, (page + 1) * GROUP_PAGE)) kept.add(row.op.id)
    groups.set(parentId, {
      parentId,
      total: list.length,
      byStatus: [...counts].sort(([a], [b]) => a.localeCompare(b)),
      ...(choice.status === undefined ? {} : { status: choice.status }),
      matching: matching.length,
      page
    })
  }
  const shown: Array<TreeRow> = []
  let skipBelow: number | undefined
  for (const row of rows) {
    if (skipBelow !== undefined && row.depth > skipBelow) continue
    skipBelow = undefined
    const parent = row.op.parentId
    if (parent !== undefined && groups.has(parent) && !kept.has(row.op.id)) {
      skipBelow = row.depth
      continue
    }
    shown.push(row)
  }
  return { rows: shown, groups }
}

/** The group's line: its count by status (each a filter link), which page is shown, and the pager. */
export const groupSummary = (group: Group, choices: GroupChoices, href: (search: string) => string): Html => {
  const link = (choice: GroupChoice) => href(groupSearch(choices, { parentId: group.parentId, choice }))
  const from = group.page * GROUP_PAGE
  const to = Math.min(group.matching, from + GROUP_PAGE)
  const status = group.status === undefined ? {} : { status: group.status }
  return html`<div class="group" data-group="${group.parentId}"><strong>${group.total} children</strong>: ${
    group.byStatus.map(([name, count]) =>
      group.status === name
        ? html`<span class="chosen">${statusBadge(name, STATUS_CLASSES)} ${count}</span> `
        : html`<a class="filter" href="${link({ page: 0, status: name })}">${statusBadge(name, STATUS_CLASSES)} ${count}</a> `
    )
  }${group.status === undefined ? "" : html`<a href="${link({ page: 0 })}">all</a>`}
<div class="muted">${group.matching === 0 ? "none" : `${from + 1}–${to} of ${group.matching}`}${group.status === undefined ? "" : ` ${group.status}`} shown ${
    group.page > 0 ? html` <a class="prev" href="${link({ page: group.page - 1, ...status })}">« Previous</a>` : ""
  }${to < group.matching ? html` <a class="next" href="${link({ page: group.page + 1, ...status })}">Next »</a>` : ""}</div></div>`
}
