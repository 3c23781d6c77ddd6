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
})
