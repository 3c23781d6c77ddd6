/**
 * reprise/effect: telling, in a finalizer, an execution's end from its actor leaving memory. `Effect.onInterrupt`
 * fires on both; `Durable.ended` says which it was.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Durable from "../../src/effect/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { until } from "./scoped-function.ts"

/** Waits three days; `events` tells what `ended` read at each interruption, in the function and in a map item. */
const waitsLong = (name: string, events: Array<string>, options: Durable.EffectFunctionOptions<never> = {}) => {
  const interrupted = (where: string) => Effect.onInterrupt(() => Effect.flatMap(Durable.ended, (ended) => Effect.sync(() => void events.push(`${where}: ${ended}`))))
  return Durable.make(name, () =>
    Durable.map("items", [1], () => Durable.wait("long", { days: 3 }).pipe(interrupted("item"))).pipe(
      Effect.andThen(Durable.wait("longer", { days: 4 })),
      interrupted("function")
    ), options)
}

const interruptions = (events: Array<string>) => until(() => events.length === 2, "both interruptions")

describe("reprise/effect: Durable.ended in a finalizer", () => {
  it("is false when the actor is evicted", async () => {
    const events: Array<string> = []
    const runner = createTestRunner({ functions: [waitsLong("evicted", events)] })
    const execution = await runner.start("evicted")
    await execution.evict()
    await interruptions(events)
    assert.deepStrictEqual(events.sort(), ["function: false", "item: false"])
    await runner.dispose()
  })

  it("is true when the execution is stopped", async () => {
    const events: Array<string> = []
    const runner = createTestRunner({ functions: [waitsLong("stopped", events)] })
    const execution = await runner.start("stopped")
    await execution.stop()
    await interruptions(events)
    assert.deepStrictEqual(events.sort(), ["function: true", "item: true"])
    await runner.dispose()
  })

  it("is true when the execution timed out, then left memory", async () => {
    const events: Array<string> = []
    const runner = createTestRunner({ functions: [waitsLong("timed-out", events, { executionTimeout: { hours: 1 } })], skipTime: true })
    const execution = await runner.run("timed-out")
    assert.strictEqual(execution.status, "TIMED_OUT")
    await execution.evict()
    await interruptions(events)
    assert.deepStrictEqual(events.sort(), ["function: true", "item: true"])
    await runner.dispose()
  })

  it("is false when the runner closes", async () => {
    const events: Array<string> = []
    const runner = createTestRunner({ functions: [waitsLong("closed", events)] })
    await runner.start("closed")
    await runner.dispose()
    await interruptions(events)
    assert.deepStrictEqual(events.sort(), ["function: false", "item: false"])
  })
})
