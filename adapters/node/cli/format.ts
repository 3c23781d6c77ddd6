/** How the CLI prints executions, lists and histories for people (`--json` prints the API's JSON instead). */
import {
  describeEvent,
  duration,
  type ExecutionJson,
  type ExecutionWithOperationsJson,
  makeOperationLabeler,
  type SummaryJson,
  treeRows
} from "reprise/http"
import { clipText, errorStoryLines, type LogEvent } from "reprise/store"
import { operationRows, SHOWN_CHILDREN } from "./operation-rows.ts"
import { oneLine } from "./terminal-text.ts"

const pad = (text: string, width: number) => text.padEnd(width)

const ms = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso))

/** Every time the CLI prints is ISO 8601, as the API's JSON and the README give them. */
const isoTime = (at: number): string => new Date(at).toISOString()

/** A table with left-aligned columns as wide as their widest cell. */
export const table = (header: ReadonlyArray<string>, cells: ReadonlyArray<ReadonlyArray<string>>): string => {
  // Cells hold the server's text: a line break in one would start a row of its own.
  const rows = cells.map((row) => row.map(oneLine))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => pad(cell, widths[i]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

const tookOf = (startedAt: string, endedAt: string | undefined): string => {
  const start = ms(startedAt)
  const end = ms(endedAt) ?? Date.now()
  return start === undefined ? "" : `${duration(end - start)}${endedAt === undefined ? " so far" : ""}`
}

/** A word as a POSIX shell reads it back: bare when it is plain, else single-quoted. */
const shellWord = (text: string): string => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`)

/** The options of `list` the next page keeps (all but --cursor), in the order USAGE gives them. */
const PAGE_OPTIONS = ["function", "status", "version", "started-after", "started-before", "ended-after", "ended-before", "input-contains", "limit"] as const

/**
 * `reprise list` with the same server, filters and --limit, and the next page's cursor: a hint to copy. A --url given
 * is kept (else the copy asks $REPRISE_URL or the default, another server); a key given with --api-key is not
 * printed (output is logged and shared): the hint says `--api-key KEY`, to be filled in.
 */
export const nextPageCommand = (values: Readonly<Record<string, string | boolean | undefined>>, cursor: string): string => {
  const words = ["reprise", "list"]
  if (typeof values.url === "string") words.push("--url", shellWord(values.url))
  if (values["api-key"] !== undefined) words.push("--api-key", "KEY")
  for (const option of PAGE_OPTIONS) {
    const value = values[option]
    if (typeof value === "string") words.push(`--${option}`, shellWord(value))
  }
  return [...words, "--cursor", shellWord(cursor)].join(" ")
}

/** `nextPage`: the command line that lists the next page (the same filters and --limit, the next --cursor). */
export const listText = (executions: ReadonlyArray<SummaryJson>, nextPage: string | undefined): string => {
  // A search by input reads at most 1,000 executions a request: a page may match none and still have a next one.
  if (executions.length === 0) return nextPage === undefined ? "No executions." : `No executions in this page; the search goes on.\nMore: ${nextPage}`
  // A VERSION column only when a listed execution has one: code without version labels keeps its narrower table.
  // An ERROR column likewise, last, as it is the widest (`reprise get` prints the whole error).
  const versioned = executions.some((e) => e.version !== undefined)
  const errored = executions.some((e) => e.error !== undefined)
  const rows = executions.map((e) => [
    e.executionId,
    e.functionName,
    ...(versioned ? [e.version ?? "-"] : []),
    e.queuePosition === undefined ? e.status : `${e.status} #${e.queuePosition}`,
    e.startedAt,
    tookOf(e.startedAt, e.endedAt),
    ...(errored ? [e.error === undefined ? "" : clipText(`${e.error.errorType}: ${e.error.errorMessage}`, LISTED_ERROR_CHARS)] : [])
  ])
  const more = nextPage === undefined ? "" : `\nMore: ${nextPage}`
  const header = ["EXECUTION", "FUNCTION", ...(versioned ? ["VERSION"] : []), "STATUS", "STARTED", "DURATION", ...(errored ? ["ERROR"] : [])]
  return table(header, rows) + more
}

/** How much of an error a row of `reprise list` shows. */
const LISTED_ERROR_CHARS = 60


const json = (value: unknown): string => JSON.stringify(value) ?? "undefined"

/**
 * CALLBACK operations still waiting, with the name of the waitForCallback that holds them when they have none. A
 * paused execution's count too: a completion is accepted and kept until the resume (as the console lists them).
 */
export const pendingCallbacks = (execution: ExecutionWithOperationsJson): Array<{ name: string; callbackId: string }> => {
  if (execution.status !== "RUNNING" && execution.status !== "PAUSED") return []
  const byId = new Map(execution.operations.map((op) => [op.id, op]))
  return execution.operations
    .filter((op) => op.type === "CALLBACK" && op.status === "STARTED" && op.callbackId !== undefined)
    .map((op) => ({ name: op.name ?? (op.parentId === undefined ? undefined : byId.get(op.parentId)?.name) ?? op.id, callbackId: op.callbackId! }))
}

/**
 * What `reprise stop` did. Inside an open saga a first stop is a request (the execution stays RUNNING while the saga
 * compensates, then ends STOPPED), and a stop of a continue-as-new chain's earlier run stops the chain's current run
 * (the answer is the run asked for, CONTINUED_AS_NEW): "stopped <id> (RUNNING)" read as a stop that did not take.
 */
export const stopText = (execution: ExecutionJson): string => {
  const id = execution.executionId
  if (execution.status === "RUNNING") return `stop requested: ${id} runs its saga's compensations, then ends STOPPED (RUNNING; stop it again to end it at once)`
  if (execution.status === "CONTINUED_AS_NEW") return `stopped the current run of ${id}'s chain (${id} itself continued as ${execution.continuedAs ?? "a new run"})`
  return `stopped ${id} (${execution.status})`
}

/** How an execution ended: the lines of `executionText` before its operations (`start --wait` showed those live). */
export const outcomeText = (execution: ExecutionJson): string => headerLines(execution).join("\n")

export const functionsText = (functions: ReadonlyArray<{ readonly name: string; readonly description?: string }>): string =>
  functions.length === 0 ? "No functions." : table(["FUNCTION", "DESCRIPTION"], functions.map((fn) => [fn.name, fn.description ?? ""]))

const headerLines = (execution: ExecutionJson): Array<string> => {
  const lines = [
    `execution  ${execution.executionId}`,
    `function   ${execution.functionName}`,
    ...(execution.version === undefined ? [] : [`version    ${execution.version}`]),
    `status     ${execution.status}${execution.queuePosition === undefined ? "" : ` (#${execution.queuePosition} in its function's queue)`}`,
    `started    ${execution.startedAt}`,
    `ended      ${execution.endedAt ?? "-"} (${tookOf(execution.startedAt, execution.endedAt)})`,
    `input      ${"input" in execution ? json(execution.input) : "-"}`
  ]
  if (execution.forkedFrom !== undefined) lines.push(`forked     from ${execution.forkedFrom.executionId} before operation ${execution.forkedFrom.operationId}`)
  if (execution.continuedFrom !== undefined) lines.push(`continues  ${execution.continuedFrom}`)
  if (execution.continuedAs !== undefined) lines.push(`goes on as ${execution.continuedAs}`)
  if (execution.rewinds !== undefined) lines.push(`rewound    ${execution.rewinds} time${execution.rewinds === 1 ? "" : "s"}`)
  if (execution.error !== undefined) {
    lines.push(`error      ${execution.error.errorType}: ${execution.error.errorMessage}`, ...errorStoryLines(execution.error, "           "))
  }
  // Only a succeeded execution has a result: a paused one has none yet, a stopped one without a reason none at all.
  else if (execution.status === "SUCCEEDED") lines.push(`result     ${"result" in execution ? json(execution.result) : "-"}`)
  return lines.map(oneLine)
}

export const executionText = (execution: ExecutionWithOperationsJson): string => {
  const lines = headerLines(execution)
  const tree = treeRows(execution.operations)
  if (execution.operations.length > 0) {
    lines.push("operations")
    const rows = operationRows(execution.operations).map((row) =>
      row.kind === "more"
        ? [`${"  ".repeat(row.depth)}… ${row.count.toLocaleString("en-US")} more`, "", "", row.byStatus, "", ""]
        : [
          `${"  ".repeat(row.depth)}${row.name}`,
          row.op.id,
          `${row.op.type}/${row.op.subType}`,
          row.op.status,
          row.op.attempt !== undefined && row.op.attempt > 1 ? `${row.op.attempt} attempts` : "",
          tookOf(row.op.startedAt, row.op.endedAt)
        ]
    )
    lines.push(table(["  NAME", "ID", "TYPE", "STATUS", "ATTEMPTS", "TOOK"], rows.map(([name, ...rest]) => [`  ${name}`, ...rest])))
    if (rows.length < tree.length) lines.push(`  (${SHOWN_CHILDREN} children shown under each operation: reprise get ${execution.executionId} --json lists every one)`)
  }
  // Each failed operation under the name the table gives it (a waitForCallback's callback is `<name> callback`).
  // As many as the table shows children (a map whose thousands of items failed printed each with its stack).
  const names = new Map(tree.map(({ name, op }) => [op.id, name]))
  const failed = execution.operations.filter((op) => op.status === "FAILED" && op.error !== undefined)
  if (failed.length > SHOWN_CHILDREN) failed.length = SHOWN_CHILDREN
  for (const op of failed) {
    if (op.error === undefined) continue
    const name = names.get(op.id) ?? op.name ?? op.subType
    const child = op.childExecutionId === undefined ? [] : [`           in ${op.childExecutionId} (reprise get ${op.childExecutionId})`]
    lines.push(...[`failed     ${name} (${op.id}): ${op.error.errorType}: ${op.error.errorMessage}`, ...child, ...errorStoryLines(op.error, "           ")].map(oneLine))
  }
  const unshown = execution.operations.filter((op) => op.status === "FAILED" && op.error !== undefined).length - failed.length
  if (unshown > 0) lines.push(`failed     … ${unshown.toLocaleString("en-US")} more operations (reprise get ${execution.executionId} --json lists every one)`)
  const pending = pendingCallbacks(execution)
  if (pending.length > 0) {
    lines.push("pending callbacks")
    for (const { callbackId, name } of pending.slice(0, SHOWN_CHILDREN)) lines.push(oneLine(`  ${name}: reprise callback ${callbackId} succeed '<json>'`))
    // A map of thousands of items each waiting on a callback: as many as the table shows, and the count of the rest.
    if (pending.length > SHOWN_CHILDREN) lines.push(`  … ${(pending.length - SHOWN_CHILDREN).toLocaleString("en-US")} more (their callbackId in reprise get ${execution.executionId} --json)`)
  }
  return lines.join("\n")
}

/**
 * Prints history events as timeline lines (offset from the start, the operation, what happened); give it the
 * events in log order, across calls (it learns context names as it goes).
 */
export const makeEventLines = (): (event: LogEvent, start: number) => string => {
  const cells = makeEventCells()
  return (event, start) => {
    const [offset, operation, what] = cells(event, start)
    return oneLine(`${pad(offset, OFFSET_WIDTH)} ${pad(operation, OPERATION_WIDTH)} ${what}`)
  }
}

/**
 * The widest offset (`+23 h 59 min`): lines printed as they come (`get --follow`) cannot know the widths of later
 * ones. At 10, an offset past 10 minutes (`+12 min 5 s`) pushed the rest of its line out of the columns.
 */
const OFFSET_WIDTH = 12
/** The operation column's width where the lines to come are unknown; a history takes its widest label's. */
const OPERATION_WIDTH = 28

/** One event's offset from the start, its operation and what happened (the labeler learns context names in order). */
const makeEventCells = (): (event: LogEvent, start: number) => [string, string, string] => {
  const label = makeOperationLabeler()
  return (event, start) => [`+${duration(event.at - start)}`, label(event), describeEvent(event, isoTime)]
}

/** The whole history: each column as wide as its widest cell (at least as wide as before, so short ones look the same). */
export const historyText = (events: ReadonlyArray<LogEvent>): string => {
  const start = events[0]?.at ?? 0
  const cells = makeEventCells()
  const rows = events.map((event) => [`#${event.seq}`, ...cells(event, start)] as const)
  // A fold, not Math.max(...): a history of a few hundred thousand events is more arguments than a call takes.
  const width = (column: 0 | 1 | 2, least: number) => rows.reduce((widest, row) => Math.max(widest, row[column].length), least)
  const [seq, offset, operation] = [width(0, 5), width(1, 10), width(2, OPERATION_WIDTH)]
  const header = events[0] === undefined ? "" : `${isoTime(start)}  (times are offsets from the start)\n`
  return header + rows.map(([n, at, op, what]) => oneLine(`${pad(n, seq)} ${pad(at, offset)} ${pad(op, operation)} ${what}`)).join("\n")
}

/** One emission: its time, topic and value (JSON). */
export const emissionLine = (emission: { readonly at: number; readonly topic: string; readonly value: unknown }): string =>
  oneLine(`${isoTime(emission.at)}  ${pad(emission.topic, 16)} ${json(emission.value)}`)
