/** The actors' scheduler (src/engine/actor-scheduler.ts): microtasks within a slice, then a turn of the event loop. */
import { assert, describe, it } from "@effect/vitest"
import { slicedDefer } from "../../src/engine/actor-scheduler.ts"

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("slicedDefer", () => {
  it("runs tasks on microtasks within the slice, and in the next turn of the event loop once it is used up", async () => {
    let now = 0
    const defer = slicedDefer(4, () => now)
    const ran: Array<string> = []
    defer(() => ran.push("in the slice"))
    await Promise.resolve()
    assert.deepStrictEqual(ran, ["in the slice"], "a microtask: run before any turn of the loop")
    now = 5 // the slice is used up
    defer(() => ran.push("after the slice"))
    for (let i = 0; i < 10; i++) await Promise.resolve()
    assert.deepStrictEqual(ran, ["in the slice"], "not on a microtask")
    await turn()
    await turn()
    assert.deepStrictEqual(ran, ["in the slice", "after the slice"])
    // A new turn starts a new slice: microtasks again.
    defer(() => ran.push("next slice"))
    await Promise.resolve()
    assert.deepStrictEqual(ran.at(-1), "next slice")
  })

  it("a cancelled task does not run", async () => {
    let now = 0
    const defer = slicedDefer(4, () => now)
    const ran: Array<string> = []
    defer(() => ran.push("micro"))()
    now = 10
    defer(() => ran.push("macro"))()
    await turn()
    await turn()
    assert.deepStrictEqual(ran, [])
  })
})
