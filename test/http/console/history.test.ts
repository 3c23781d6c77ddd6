/**
 * What the execution page reads out of a history (history.ts): after a rewind, an operation's attempts are those of
 * the run since the rewind, as the execution's view (the fold) has them, not mixed with the ones it forgot.
 */
import { assert, describe, it } from "@effect/vitest"
import { describeEvent } from "../../../src/http/console/describe.ts"
import { indexHistory } from "../../../src/http/console/history.ts"
import type { LogEvent } from "../../../src/log/events.ts"

const step = { type: "STEP", subType: "Step" } as const
const broken = { errorType: "Error", errorMessage: "second is broken" }

/** Step "1" succeeds; child context "2" holds step "2-1", which fails, and so the execution; rewound from "2". */
const rewoundLog: ReadonlyArray<LogEvent> = [
  { _tag: "ExecutionStarted", seq: 1, at: 0, executionId: "f1", functionName: "f", timeoutAt: 60_000, retentionMs: 86_400_000 },
  { _tag: "StepSucceeded", seq: 2, at: 5, id: "1", name: "first", ...step, attempt: 1, startedAt: 1, result: "1" },
  { _tag: "ContextStarted", seq: 3, at: 6, id: "2", name: "second", type: "CONTEXT", subType: "RunInChildContext" },
  { _tag: "StepStarted", seq: 4, at: 6, id: "2-1", parentId: "2", name: "inner", ...step, attempt: 1 },
  { _tag: "StepFailed", seq: 5, at: 8, id: "2-1", parentId: "2", name: "inner", ...step, attempt: 1, error: broken },
  { _tag: "ContextFailed", seq: 6, at: 8, id: "2", name: "second", type: "CONTEXT", subType: "RunInChildContext", error: broken },
  { _tag: "StepStarted", seq: 7, at: 8, id: "3", name: "third", ...step, attempt: 1 },
  { _tag: "ExecutionFailed", seq: 8, at: 9, error: broken },
  { _tag: "ExecutionRewound", seq: 9, at: 22_500, fromOperation: "2", timeoutAt: 82_500 },
  { _tag: "ContextStarted", seq: 10, at: 22_501, id: "2", name: "second", type: "CONTEXT", subType: "RunInChildContext" },
  { _tag: "StepSucceeded", seq: 11, at: 22_503, id: "2-1", parentId: "2", name: "inner", ...step, attempt: 1, startedAt: 22_502, result: "2" }
]

describe("indexHistory after a rewind", () => {
  it("keeps the operations before the rewound one as they were", () => {
    const first = indexHistory(rewoundLog).get("1")
    assert.deepStrictEqual(first?.attempts, [{ attempt: 1, startedAt: 1, endedAt: 5, ok: true, result: "1" }])
    assert.isUndefined(first?.rewoundAt)
  })

  it("gives the rewound operation and its children only the attempts since the rewind, marked as run again", () => {
    const index = indexHistory(rewoundLog)
    assert.deepStrictEqual(index.get("2-1")?.attempts, [{ attempt: 1, startedAt: 22_502, endedAt: 22_503, ok: true, result: "2" }])
    assert.strictEqual(index.get("2-1")?.rewoundAt, 22_500)
    const context = index.get("2")
    assert.strictEqual(context?.startedAt, 22_501)
    assert.isUndefined(context?.endedAt, "the context runs again: its earlier end is forgotten")
    assert.strictEqual(context?.rewoundAt, 22_500)
  })

  it("forgets a later operation the new run has not reached, with its attempt left open before the rewind", () => {
    assert.isFalse(indexHistory(rewoundLog).has("3"))
  })

  it("reads the rewind out, with the version label of the code that rewound it when it has one", () => {
    const rewind = rewoundLog[8]!
    assert.strictEqual(describeEvent(rewind), "rewound to run again from operation 2")
    assert.strictEqual(describeEvent({ ...rewind, version: "v2" } as LogEvent), "rewound to run again from operation 2 (version v2)")
  })
})
