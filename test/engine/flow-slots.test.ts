/**
 * Concurrency slots held for executions that were running user code when the process died (FlowSlots.reserve):
 * the execution's next handle takes its slot at once, ahead of everything, and a reservation not taken is let go.
 */
import { assert, describe, it } from "@effect/vitest"
import { FlowSlots } from "../../src/engine/flow-slots.ts"

const GROUP = "fn\n"

describe("slots held across a restart", () => {
  it("the execution's next handle takes its reserved slot at once, though the group is full of it", () => {
    let freed = 0
    const slots = new FlowSlots(() => void freed++)
    slots.reserve(GROUP, "a")
    assert.isFalse(slots.free(GROUP, 1), "a queued start may not take it")
    const handle = slots.slot(GROUP, 1, "a", false)
    assert.isUndefined(handle.acquire(), "taken at once")
    assert.isTrue(handle.held)
    handle.release()
    assert.isTrue(slots.free(GROUP, 1))
    assert.strictEqual(freed, 1)
    slots.expire(GROUP, "a") // taken already: nothing more is given back
    assert.strictEqual(freed, 1)
    assert.strictEqual(slots.holding(GROUP), 0)
  })

  it("is given back when its execution ends or blocks without a step (release), or is never resumed (expire)", () => {
    let freed = 0
    const slots = new FlowSlots(() => void freed++)
    slots.reserve(GROUP, "a")
    slots.reserve(GROUP, "b")
    slots.slot(GROUP, 2, "a", false).release()
    assert.deepStrictEqual([slots.holding(GROUP), freed], [1, 1])
    slots.expire(GROUP, "b")
    assert.deepStrictEqual([slots.holding(GROUP), freed], [0, 2])
    // Another execution's handle does not take a reservation that is not its own.
    slots.reserve(GROUP, "c")
    const other = slots.slot(GROUP, 1, "d", false)
    assert.instanceOf(other.acquire(), Promise, "d waits: the one slot is c's")
    slots.expire(GROUP, "c")
    assert.isTrue(other.held, "handed to the execution that waited")
  })
})
