/**
 * Stop reaches children (engine, through reprise/testing): the invoked child is stopped, the running step body's
 * signal fires, no step body starts after the stop, and `children: false` leaves the child running.
 */
import { assert, describe, it } from "@effect/vitest"
import { createTestRunner, type TestRunner } from "../../src/testing/index.ts"
import { stopFunctions } from "./stop-functions.ts"

/** Starts the parent and returns once its long step runs and its child has started (bounded). */
const startParent = async (runner: TestRunner, fixture: ReturnType<typeof stopFunctions>, executionId: string) => {
  await runner.engine((e) => e.start({ functionName: fixture.functions[1]!.name, executionId }))
  await fixture.running
  for (let i = 0; i < 200; i++) {
    const parent = await runner.execution(executionId)
    const childId = parent.getOperation("child")?.state.childExecutionId
    const child = childId === undefined ? undefined : await runner.execution(childId).catch(() => undefined)
    if (child !== undefined) return { parent, child }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error("the child did not start")
}

describe("stop reaches children", () => {
  it("stops the invoked child, cuts off the running map, and starts no step body after the stop", async () => {
    const fixture = stopFunctions("cascade")
    const runner = createTestRunner({ functions: fixture.functions })
    // Item 0's body runs; items 1 and 2 wait on the gate; the child waits five days.
    const { parent, child } = await startParent(runner, fixture, "cascade-1")
    assert.strictEqual(child.status, "RUNNING")

    await parent.stop({ errorMessage: "operator" })
    assert.strictEqual(parent.status, "STOPPED")
    assert.strictEqual((await child.refresh()).status, "STOPPED")
    assert.strictEqual(child.error?.errorType, "ParentStopped")
    assert.deepStrictEqual(fixture.aborts, ["ExecutionStoppedError"])

    fixture.openGate() // items 1 and 2 go on to their steps: neither body may start
    await child.advanceTime({ days: 6 })
    await parent.settle()
    await child.settle()
    assert.deepStrictEqual(fixture.bodies, ["long"])
    assert.strictEqual((await parent.refresh()).status, "STOPPED")
    assert.strictEqual((await child.refresh()).status, "STOPPED")
    await runner.dispose()
  })

  it("leaves the child running with children: false", async () => {
    const fixture = stopFunctions("alone")
    const runner = createTestRunner({ functions: fixture.functions })
    const { parent, child } = await startParent(runner, fixture, "alone-1")
    await parent.stop(undefined, { children: false })
    assert.strictEqual(parent.status, "STOPPED")
    fixture.openGate()
    await child.advanceTime({ days: 6 })
    await child.settle()
    assert.strictEqual((await child.refresh()).status, "SUCCEEDED")
    assert.deepStrictEqual(fixture.bodies, ["long", "child-after"])
    await runner.dispose()
  })
})
