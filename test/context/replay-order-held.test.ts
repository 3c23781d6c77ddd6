/**
 * Results held until a replay is over (operations that had not ended when the handler started) go in the order of
 * their ends, each continuation with its rounds of microtasks before the next, as the next replay, which gives them
 * turns in that order, will let them go. Let go together, they reached the code in the depth of their promise chains:
 * under load a failed child's caller lost to later ends, and the next replay failed as non-deterministic (the probe:
 * 18 and 31 of 900 crash-mode runs of one shape before, none after).
 */
import { assert, describe, it } from "@effect/vitest"
import type { LogEvent } from "../../src/log/events.ts"
import { applyEvent, foldLog } from "../../src/log/fold.ts"
import { ReplayOrder } from "../../src/context/replay-order.ts"

const step = (id: string, seq: number): LogEvent => ({ _tag: "StepSucceeded", seq, at: seq, id, type: "STEP", subType: "Step", attempt: 1, result: "1" })
const contextStarted = (id: string, seq: number): LogEvent => ({ _tag: "ContextStarted", seq, at: seq, id, type: "CONTEXT", subType: "RunInChildContext" })
const contextSucceeded = (id: string, seq: number): LogEvent =>
  ({ _tag: "ContextSucceeded", seq, at: seq, id, type: "CONTEXT", subType: "RunInChildContext", result: "1" })

const deferred = () => {
  let resolve!: (value: string) => void
  const promise = new Promise<string>((r) => (resolve = r))
  return { promise, resolve }
}

const microtasks = async (n: number) => {
  for (let i = 0; i < n; i++) await null
}

describe("a replay's held results", () => {
  it("go one at a time in the order of their ends, each continuation calling before the next goes", async () => {
    const state = foldLog([
      { _tag: "ExecutionStarted", seq: 1, at: 1, executionId: "e", functionName: "f", timeoutAt: 1e9, retentionMs: 1e9 },
      step("1", 2)
    ])
    const order = ReplayOrder.of(state)!
    assert.isUndefined(order.turn("1"), "the recorded one goes on its turn")
    const second = deferred()
    const third = deferred()
    const calls: Array<string> = []
    // "2" reaches its caller through a longer chain (a failed child's rejection, say) than "3".
    const two = order.afterReplay(second.promise, true, "2").then(async () => {
      await microtasks(6)
      calls.push("after 2")
    })
    const three = order.afterReplay(third.promise, true, "3").then(() => {
      calls.push("after 3")
    })
    // Both end during the replay, "2" first in the log; "3"'s promise settles first.
    applyEvent(state, step("2", 3))
    applyEvent(state, step("3", 4))
    third.resolve("3")
    second.resolve("2")
    await Promise.all([two, three])
    assert.deepStrictEqual(calls, ["after 2", "after 3"])
  })

  // A child's caller goes on before its outcome is written: its end's seq is read when its turn comes, not when its
  // result came (the review: filed as unknown, it went after a step that ended after it).
  it("lets a child whose outcome was only posted when its caller settled go before a step that ended after it", async () => {
    const state = foldLog([
      { _tag: "ExecutionStarted", seq: 1, at: 1, executionId: "e", functionName: "f", timeoutAt: 1e9, retentionMs: 1e9 },
      step("1", 2),
      step("2", 3)
    ])
    const order = ReplayOrder.of(state)!
    assert.isUndefined(order.turn("1"))
    const calls: Array<string> = []
    // A held result already waiting (seq 4), so the letting-go takes a while.
    applyEvent(state, step("3", 4))
    const three = order.afterReplay(Promise.resolve("3"), true, "3").then(() => void calls.push("after 3"))
    // The child "4" settles with its outcome posted, not yet written (no endSeq yet).
    applyEvent(state, contextStarted("4", 5))
    const four = order.afterReplay(Promise.resolve("4"), true, "4").then(() => void calls.push("after 4"))
    await null
    await null
    // Its outcome is written (seq 6), then a step's end (seq 7) whose promise settles while "4" is still held.
    applyEvent(state, contextSucceeded("4", 6))
    applyEvent(state, step("5", 7))
    const five = order.afterReplay(Promise.resolve("5"), true, "5").then(() => void calls.push("after 5"))
    assert.isUndefined(order.turn("2")) // the last turn: the replay is over after its rounds
    await Promise.all([three, four, five])
    assert.deepStrictEqual(calls, ["after 3", "after 4", "after 5"], "in the order of their ends: 4 (seq 6) before 5 (seq 7)")
  })
})
