/**
 * The rows of `reprise get`'s operations table: the tree in tree order, with at most SHOWN_CHILDREN children under
 * an operation (a map of 20,000 items printed 40,000 lines, its failures scrolled away) and, in place of the rest,
 * one row with their count by status, as the console shows one page of them with their counts. `--json` gives all.
 */
import type { OperationJson } from "reprise/http"
import { treeRows } from "reprise/http"

/** The children shown under one operation (the console's page of them holds 25 too). */
export const SHOWN_CHILDREN = 25

export type OperationRow =
  | { readonly kind: "operation"; readonly depth: number; readonly name: string; readonly op: OperationJson }
  | { readonly kind: "more"; readonly depth: number; readonly count: number; readonly byStatus: string }

const countsText = (ops: ReadonlyArray<OperationJson>): string => {
  const counts = new Map<string, number>()
  for (const op of ops) counts.set(op.status, (counts.get(op.status) ?? 0) + 1)
  return [...counts].map(([status, n]) => `${n.toLocaleString("en-US")} ${status}`).join(", ")
}

export const operationRows = (operations: ReadonlyArray<OperationJson>): Array<OperationRow> => {
  // Children of an operation that is listed (treeRows shows one whose parent is not as a top-level operation).
  const ids = new Set(operations.map((op) => op.id))
  const children = new Map<string, Array<OperationJson>>()
  for (const op of operations) {
    if (op.parentId === undefined || !ids.has(op.parentId)) continue
    const siblings = children.get(op.parentId)
    if (siblings === undefined) children.set(op.parentId, [op])
    else siblings.push(op)
  }
  const shown = new Map<string, number>()
  const hidden = new Set<string>()
  const rows: Array<OperationRow> = []
  for (const row of treeRows(operations)) {
    const parent = row.op.parentId
    if (parent !== undefined && hidden.has(parent)) {
      hidden.add(row.op.id) // under a child not shown
      continue
    }
    if (parent !== undefined && children.has(parent)) {
      const count = (shown.get(parent) ?? 0) + 1
      shown.set(parent, count)
      if (count > SHOWN_CHILDREN) {
        hidden.add(row.op.id)
        if (count === SHOWN_CHILDREN + 1) {
          const rest = children.get(parent)!.slice(SHOWN_CHILDREN)
          rows.push({ kind: "more", depth: row.depth, count: rest.length, byStatus: countsText(rest) })
        }
        continue
      }
    }
    rows.push({ kind: "operation", ...row })
  }
  return rows
}
