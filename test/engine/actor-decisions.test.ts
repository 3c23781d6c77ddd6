/** What an outside message does to an execution, decided from its state alone (src/engine/actor-decisions.ts). */
import { assert, describe, it } from "@effect/vitest"
import { Deferred } from "effect"
import { type LogEvent } from "../../src/log/events.ts"
import { foldLog } from "../../src/log/fold.ts"
import { decide, type DecidedMessage } from "../../src/engine/actor-decisions.ts"
import type { Reply } from "../../src/engine/actor-messages.ts"
import { executionStarted } from "../../src/store/conformance-events.ts"

const reply = (): Reply => Deferred.makeUnsafe()
const started = executionStarted("x", { functionName: "fn", at: 1_000 })
const callbackStarted: LogEvent = { _tag: "CallbackStarted", seq: 2, at: 1_001, id: "1", type: "CALLBACK", subType: "Callback", callbackId: "cb-1" } as LogEvent
const context = { executionId: "x", running: true, maxPayloadBytes: 10, admit: () => undefined }
const tagOf = (message: DecidedMessage, events: ReadonlyArray<LogEvent>, running = true) => {
  const decision = decide(foldLog(events), message, { ...context, running })
  return decision._tag === "Refuse" ? `Refuse ${decision.error._tag}` : decision._tag === "Write" ? `Write ${decision.events.map((e) => e._tag).join(",")}` : decision._tag
}

describe("an outside message's decision", () => {
  it("stops, pauses and resumes a running execution; refuses them in the wrong state", () => {
    assert.strictEqual(tagOf({ _tag: "Stop", error: undefined, reply: reply() }, [started]), "Write ExecutionStopped")
    assert.strictEqual(tagOf({ _tag: "Stop", error: undefined, reply: reply() }, [started], false), "Refuse ExecutionNotRunning")
    assert.strictEqual(tagOf({ _tag: "Pause", reply: reply() }, [started]), "Write ExecutionPaused")
    assert.strictEqual(tagOf({ _tag: "Resume", reply: reply() }, [started]), "Refuse ExecutionNotPaused")
    const paused = [started, { _tag: "ExecutionPaused", seq: 2, at: 1_001 } as LogEvent]
    assert.strictEqual(tagOf({ _tag: "Pause", reply: reply() }, paused), "Refuse ExecutionNotRunning")
    assert.strictEqual(tagOf({ _tag: "Resume", reply: reply() }, paused), "Write ExecutionResumed")
  })

  it("completes a pending callback once; refuses an unknown id, an oversized result, and a callback whose execution ended", () => {
    const log = [started, callbackStarted]
    const complete = (callbackId: string, result: string) =>
      ({ _tag: "CompleteCallback", operationId: "1", callbackId, outcome: { ok: true, result }, reply: reply() }) as DecidedMessage
    assert.strictEqual(tagOf(complete("cb-1", "\"ok\""), log), "Write CallbackSucceeded")
    assert.strictEqual(tagOf(complete("cb-2", "\"ok\""), log), "Refuse CallbackNotFound")
    assert.strictEqual(tagOf(complete("cb-1", "\"far too long\""), log), "Refuse InvalidRequest")
    // Not "already completed": nothing completed it, and a client would take that answer for a delivery.
    assert.strictEqual(tagOf(complete("cb-1", "\"ok\""), log, false), "Refuse ExecutionNotRunning")
  })

  it("writes a heartbeat only for a callback with a heartbeat timeout, the one thing it moves; answers it without writing otherwise", () => {
    const heartbeat = { _tag: "Heartbeat", operationId: "1", callbackId: "cb-1", reply: reply() } as DecidedMessage
    const timed = { ...callbackStarted, heartbeatTimeoutMs: 60_000 } as LogEvent
    assert.strictEqual(tagOf(heartbeat, [started, timed]), "Write CallbackHeartbeat")
    assert.strictEqual(tagOf(heartbeat, [started, callbackStarted]), "Answer")
    assert.strictEqual(tagOf({ ...heartbeat, callbackId: "cb-2" } as DecidedMessage, [started, callbackStarted]), "Refuse CallbackNotFound")
    assert.strictEqual(tagOf(heartbeat, [started, callbackStarted], false), "Refuse ExecutionNotRunning")
  })

  it("answers a child's outcome that nothing waits for without writing", () => {
    const outcome = { status: "SUCCEEDED" as const, result: "1" }
    assert.strictEqual(tagOf({ _tag: "ChildFinished", operationId: "9", outcome, reply: reply() }, [started]), "Answer")
  })
})
