/**
 * How the CLI prints an execution (the operation tree in tree order, with readable names; the outcome its status
 * has), a history (every time in the ISO form the other lines use) and a listing (why each one failed).
 */
import { assert, describe, it } from "@effect/vitest"
import { executionText, historyText, listText, nextPageCommand, stopText } from "../../../../adapters/node/cli/format.ts"
import type { ExecutionWithOperationsJson, OperationJson, SummaryJson } from "../../../../src/http/views.ts"
import type { LogEvent } from "../../../../src/log/events.ts"

const at = "2026-01-01T00:00:00.000Z"
const op = (id: string, type: string, subType: string, name?: string): OperationJson => {
  const parent = id.includes("-") ? id.slice(0, id.lastIndexOf("-")) : undefined
  return { id, type, subType, status: "SUCCEEDED", startedAt: at, endedAt: at, ...(parent === undefined ? {} : { parentId: parent }), ...(name === undefined ? {} : { name }) }
}

const execution = (operations: ReadonlyArray<OperationJson>): ExecutionWithOperationsJson => ({
  executionId: "e-1",
  functionName: "f",
  status: "SUCCEEDED",
  startedAt: at,
  endedAt: at,
  result: 1,
  operationCounts: { total: operations.length, byStatus: { SUCCEEDED: operations.length }, byType: {} },
  operations
})

/** The NAME column of the operations table, in printed order, indentation kept. */
const names = (text: string): Array<string> => {
  const lines = text.split("\n")
  const header = lines.findIndex((line) => line.startsWith("  NAME"))
  const width = lines[header]!.indexOf("ID")
  return lines.slice(header + 1).filter((line) => line.startsWith("  ") && !line.startsWith("  (")).map((line) => line.slice(0, width).trimEnd())
}

describe("executionText", () => {
  it("prints each operation under its own parent although the API lists them breadth first", () => {
    // The API's order: the log's, where a map's items and their steps interleave.
    const ops = [
      op("1", "CONTEXT", "Map", "items"),
      op("1-1", "CONTEXT", "MapIteration", "item-a"),
      op("1-2", "CONTEXT", "MapIteration", "item-b"),
      op("1-1-1", "STEP", "Step", "work-a"),
      op("1-2-1", "STEP", "Step", "work-b"),
      op("2", "STEP", "Step", "after")
    ]
    assert.deepStrictEqual(names(executionText(execution(ops))), [
      "  items",
      "    item-a",
      "      work-a",
      "    item-b",
      "      work-b",
      "  after"
    ])
  })

  it("names waitForCallback's own callback and submitter step after it", () => {
    const ops = [op("1", "CONTEXT", "WaitForCallback", "warehouse"), op("1-1", "CALLBACK", "Callback"), op("1-2", "STEP", "Step")]
    assert.deepStrictEqual(names(executionText(execution(ops))), ["  warehouse", "    warehouse callback", "    warehouse submitter"])
  })

  it("shows 25 children under an operation and counts the rest by status (a map of thousands printed every item)", () => {
    const items = Array.from({ length: 30 }, (_, i) => [
      { ...op(`1-${i + 1}`, "CONTEXT", "MapIteration", `item-${i}`), ...(i === 28 ? { status: "FAILED" } : {}) },
      op(`1-${i + 1}-1`, "STEP", "Step", `work-${i}`)
    ]).flat()
    const text = executionText(execution([op("1", "CONTEXT", "Map", "items"), ...items, op("2", "STEP", "Step", "after")]))
    const shown = names(text)
    assert.deepStrictEqual(shown.slice(0, 3), ["  items", "    item-0", "      work-0"])
    assert.deepStrictEqual(shown.slice(-4), ["    item-24", "      work-24", "    … 5 more", "  after"])
    assert.lengthOf(shown, 1 + 25 * 2 + 1 + 1)
    assert.match(text, /… 5 more\s+4 SUCCEEDED, 1 FAILED\n/)
    assert.include(text, "\n  (25 children shown under each operation: reprise get e-1 --json lists every one)")
    // 25 children or fewer: every one, and no such line.
    assert.notInclude(executionText(execution([op("1", "CONTEXT", "Map", "items"), ...items.slice(0, 50)])), "children shown")
  })

  it("gives the command that completes a waiting callback of a running or paused execution, none once it ended", () => {
    const waiting = { ...op("1", "CALLBACK", "Callback", "approval"), status: "STARTED", callbackId: "cb-1" }
    const hint = "  approval: reprise callback cb-1 succeed '<json>'"
    const { result: _, ...ops } = execution([waiting])
    for (const status of ["RUNNING", "PAUSED"]) assert.include(executionText({ ...ops, status }), `pending callbacks\n${hint}`, status)
    assert.notInclude(executionText({ ...ops, status: "STOPPED" }), "pending callbacks")
  })

  it("gives the first 25 waiting callbacks their command and counts the others", () => {
    const waiting = Array.from({ length: 30 }, (_, i) => ({ ...op(`${i + 1}`, "CALLBACK", "Callback", `approval-${i}`), status: "STARTED", callbackId: `cb-${i}` }))
    const { result: _, ...ops } = execution(waiting)
    const text = executionText({ ...ops, status: "RUNNING" })
    const lines = text.slice(text.indexOf("pending callbacks\n")).split("\n").slice(1)
    assert.lengthOf(lines, 26)
    assert.strictEqual(lines[24], "  approval-24: reprise callback cb-24 succeed '<json>'")
    assert.strictEqual(lines[25], "  … 5 more (their callbackId in reprise get e-1 --json)")
  })
})

describe("executionText's outcome", () => {
  /** The lines after `input`, before the operations: what the header says the execution came to. */
  const outcome = (fields: Partial<ExecutionWithOperationsJson>): Array<string> => {
    const { result: _, ...rest } = execution([])
    const lines = executionText({ ...rest, ...fields }).split("\n")
    return lines.slice(lines.findIndex((line) => line.startsWith("input")) + 1)
  }
  const stopped = { errorType: "ExecutionStopped", errorMessage: "no longer needed" }

  it("gives a succeeded execution its result, and a dash when it returned nothing", () => {
    assert.deepStrictEqual(outcome({ status: "SUCCEEDED", result: { ok: true } }), ['result     {"ok":true}'])
    assert.deepStrictEqual(outcome({ status: "SUCCEEDED" }), ["result     -"])
  })

  it("gives a paused execution, and a stopped one given no reason, no result line (they have no result)", () => {
    assert.deepStrictEqual(outcome({ status: "PAUSED" }), [])
    assert.deepStrictEqual(outcome({ status: "STOPPED" }), [])
  })

  it("gives a stopped execution given a reason, and a failed one, their error", () => {
    assert.deepStrictEqual(outcome({ status: "STOPPED", error: stopped }), ["error      ExecutionStopped: no longer needed"])
    assert.deepStrictEqual(outcome({ status: "FAILED", error: { errorType: "Error", errorMessage: "boom" } }), ["error      Error: boom"])
  })
})

describe("executionText's errors", () => {
  it("prints an error's data, as the API and the console give it, and names a failed operation as its table row does", () => {
    const denied = { errorType: "ApprovalDenied", errorMessage: "manager said no", errorData: '{"approver":"bob"}' }
    const ops: ReadonlyArray<OperationJson> = [
      { ...op("1", "CONTEXT", "WaitForCallback", "approval"), status: "FAILED", error: { ...denied, errorType: "CallbackExternalError" } },
      { ...op("1-1", "CALLBACK", "Callback"), status: "FAILED", error: denied },
      op("1-2", "STEP", "Step")
    ]
    const text = executionText({ ...execution(ops), status: "FAILED", error: { ...denied, errorType: "CallbackExternalError" } })
    assert.include(text, 'error      CallbackExternalError: manager said no\n           data {"approver":"bob"}\n')
    assert.include(text, 'failed     approval callback (1-1): ApprovalDenied: manager said no\n           data {"approver":"bob"}')
  })

  it("names the first 25 failed operations, each with its error, and counts the others", () => {
    const failed = Array.from({ length: 40 }, (_, i) => ({ ...op(`${i + 1}`, "STEP", "Step", `s${i}`), status: "FAILED", error: { errorType: "Error", errorMessage: `bad ${i}` } }))
    const lines = executionText({ ...execution(failed), status: "FAILED" }).split("\n").filter((line) => line.startsWith("failed "))
    assert.lengthOf(lines, 26)
    assert.strictEqual(lines[0], "failed     s0 (1): Error: bad 0")
    assert.strictEqual(lines[24], "failed     s24 (25): Error: bad 24")
    assert.strictEqual(lines[25], "failed     … 15 more operations (reprise get e-1 --json lists every one)")
  })

  it("names the execution a failed invoke started, to get next", () => {
    const invoke = { ...op("1", "CHAINED_INVOKE", "ChainedInvoke", "call"), status: "FAILED", childExecutionId: "e-1:invoke:1", error: { errorType: "StepError", errorMessage: "broke" } }
    const text = executionText({ ...execution([invoke]), status: "FAILED" })
    assert.include(text, "failed     call (1): StepError: broke\n           in e-1:invoke:1 (reprise get e-1:invoke:1)")
  })
})

describe("historyText", () => {
  it("prints the times inside events in ISO form, as its header and reprise get do", () => {
    const start = Date.parse(at)
    const events: ReadonlyArray<LogEvent> = [
      { _tag: "ExecutionStarted", seq: 1, at: start, executionId: "e-1", functionName: "f", timeoutAt: start + 3_600_000, retentionMs: 86_400_000 },
      { _tag: "WaitStarted", seq: 2, at: start + 1, id: "1", name: "nap", type: "WAIT", subType: "Wait", until: start + 60_001 },
      { _tag: "CallbackStarted", seq: 3, at: start + 2, id: "2", name: "ask", type: "CALLBACK", subType: "Callback", callbackId: "cb", timeoutAt: start + 120_002 }
    ]
    const text = historyText(events)
    assert.include(text, "waiting 1 min 0 s, until 2026-01-01T00:01:00.001Z")
    assert.include(text, "waiting for callback cb (times out at 2026-01-01T00:02:00.002Z)")
    assert.notMatch(text, /\d\d \d\d:\d\d/, "no date and time joined by a space")
  })

  it("keeps its columns aligned once offsets pass 10 minutes, seqs 4 digits and names 28 characters", () => {
    const start = Date.parse(at)
    const step = (seq: number, ms: number, id: string, name: string): LogEvent =>
      ({ _tag: "StepSucceeded", seq, at: start + ms, id, name, type: "STEP", subType: "Step", attempt: 1, result: "1" })
    const events: ReadonlyArray<LogEvent> = [
      { _tag: "ExecutionStarted", seq: 1, at: start, executionId: "e-1", functionName: "f", timeoutAt: start + 86_400_000, retentionMs: 86_400_000 },
      step(2, 1_000, "1", "charge"),
      step(12_345, 725_000, "2", "ship"), // +12 min 5 s: wider than the 10 characters the offsets had
      step(12_346, 3_725_000, "3", "notify-the-warehouse-and-the-customer")
    ]
    const lines = historyText(events).split("\n").slice(1)
    // Where each column begins: the offset (+), the operation, and what happened ("started", "attempt").
    const columns = lines.map((line) => [line.indexOf("+"), line.search(/ (execution|charge|ship|notify)/) + 1, line.search(/ (started|attempt)/) + 1])
    assert.deepStrictEqual(columns, Array.from(lines, () => columns[0]), lines.join("\n"))
    assert.match(lines[0]!, /^#1 +\+0 ms +execution +started f$/)
  })

  it("prints a history of 300,000 events (a map of many items), as before the columns were sized", () => {
    const start = Date.parse(at)
    const events: Array<LogEvent> = [{ _tag: "ExecutionStarted", seq: 1, at: start, executionId: "e-1", functionName: "f", timeoutAt: start + 86_400_000, retentionMs: 86_400_000 }]
    for (let seq = 2; seq <= 300_000; seq++) events.push({ _tag: "StepSucceeded", seq, at: start + seq, id: `1-${seq}`, name: "item", type: "STEP", subType: "Step", attempt: 1, result: "1" })
    const lines = historyText(events).split("\n")
    assert.strictEqual(lines.length, 300_001)
    assert.match(lines.at(-1)!, /^#300000 +\+5 min 0 s +/)
  })
})

describe("listText", () => {
  const row = (executionId: string, status: string, error?: SummaryJson["error"]): SummaryJson =>
    ({ executionId, functionName: "order", status, startedAt: at, endedAt: at, ...(error === undefined ? {} : { error }) })

  it("gives each failed or stopped execution its error, cut to one short line, in a last column", () => {
    const long = `card ${"é".repeat(80)}\nsecond line`
    const text = listText([row("e-1", "SUCCEEDED"), row("e-2", "FAILED", { errorType: "CardDeclined", errorMessage: long })], undefined)
    const [header, ok, failed] = text.split("\n")
    assert.match(header!, /STATUS +STARTED +DURATION +ERROR$/)
    assert.match(ok!, /SUCCEEDED +2026-01-01T00:00:00.000Z +0 ms$/)
    assert.include(failed!, `CardDeclined: card ${"é".repeat(40)}…`)
    assert.strictEqual(Array.from(failed!.slice(failed!.indexOf("CardDeclined"))).length, 60)
  })

  it("an empty page with a next one (a search by input reads 1,000 executions a request) says so and gives the next", () => {
    assert.strictEqual(listText([], "reprise list --input-contains ada --cursor c-2"), "No executions in this page; the search goes on.\nMore: reprise list --input-contains ada --cursor c-2")
    assert.strictEqual(listText([], undefined), "No executions.")
  })

  it("the next page's command keeps the end-time range (an end-time search also reads 1,000 executions a request)", () => {
    assert.strictEqual(
      nextPageCommand({ status: "FAILED", "ended-after": "2026-05-01T11:00:00Z", "ended-before": "2026-05-01T12:00:00Z" }, "c-2"),
      "reprise list --status FAILED --ended-after 2026-05-01T11:00:00Z --ended-before 2026-05-01T12:00:00Z --cursor c-2"
    )
  })

  it("has no ERROR column when nothing listed failed", () => {
    assert.notInclude(listText([row("e-1", "SUCCEEDED"), row("e-2", "RUNNING")], undefined), "ERROR")
  })
})

describe("stopText", () => {
  it("says a stop of a continue-as-new chain's earlier run stopped the chain's current run", () => {
    const { result: _, ...base } = execution([])
    assert.strictEqual(stopText({ ...base, status: "CONTINUED_AS_NEW", continuedAs: "e-1~2" }), "stopped the current run of e-1's chain (e-1 itself continued as e-1~2)")
  })

  it("says a stop that a saga takes as a request is one, and what a second stop does; a stop that ended it, so", () => {
    const { result: _, endedAt: __, ...base } = execution([])
    assert.strictEqual(stopText({ ...base, status: "STOPPED" }), "stopped e-1 (STOPPED)")
    const requested = stopText({ ...base, status: "RUNNING" })
    assert.match(requested, /^stop requested: e-1 runs its saga's compensations, then ends STOPPED \(RUNNING; stop it again to end it at once\)$/)
  })
})
