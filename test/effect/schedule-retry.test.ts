/**
 * A reprise/effect step retried by an Effect Schedule: its delays and its end, decided afresh after each attempt (the
 * next may run after a replay), with the body's failure as the schedule's input.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule, Schema } from "effect"
import * as Durable from "../../src/effect/index.ts"
import type { LogEvent } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

class Transient extends Schema.TaggedError<Transient>()("Transient", { attempt: Schema.Number }) {}
class Declined extends Schema.TaggedError<Declined>()("Declined", {}) {}

/** Each failed attempt's retry delay in ms (undefined: it failed for good), from the log. */
const delaysOf = (history: ReadonlyArray<LogEvent>) =>
  history.flatMap((e) => e._tag === "StepFailed" ? [e.nextAttemptAt === undefined ? undefined : e.nextAttemptAt - e.at] : [])

describe("reprise/effect: a step's retry schedule", () => {
  it("spaces the attempts as the schedule says and stops where it ends, the same across evictions", async () => {
    let attempts = 0
    const fn = Durable.make("scheduled", () =>
      Durable.step("flaky", Effect.suspend(() => Effect.fail(new Transient({ attempt: ++attempts }))), {
        error: Transient,
        schedule: Schedule.exponential("2 seconds").pipe(Schedule.upTo({ times: 3 }))
      }).pipe(Effect.catchTag("Transient", (e) => Effect.succeed(`gave up after attempt ${e.attempt}`))))
    const runner = createTestRunner({ functions: [fn], skipTime: false })
    const execution = await runner.start("scheduled")
    for (const seconds of [2, 4, 8]) {
      await (await execution.evict()).advanceTime({ seconds }) // each attempt after the first runs on a replay
      await execution.settle()
    }
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.strictEqual(execution.result, "gave up after attempt 4")
    assert.deepStrictEqual(delaysOf(execution.history), [2000, 4000, 8000, undefined])
    await runner.dispose()
  })

  it("gives the schedule what the body failed with: Schedule.while retries one typed error and not another", async () => {
    const fails = [new Transient({ attempt: 1 }), new Declined()]
    const fn = Durable.make("filtered", () =>
      Durable.step("charge", Effect.suspend(() => Effect.fail(fails.shift()!)), {
        error: Schema.Union([Transient, Declined]),
        schedule: Schedule.spaced("5 seconds").pipe(Schedule.while(({ input }) => input instanceof Transient))
      }).pipe(Effect.catchTag("Declined", () => Effect.succeed("declined, not retried"))))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("filtered")
    assert.strictEqual(execution.result, "declined, not retried")
    assert.deepStrictEqual(delaysOf(execution.history), [5000, undefined])
    await runner.dispose()
  })

  it("refuses a step given both a retryStrategy and a schedule", async () => {
    const fn = Durable.make("both", () =>
      Durable.step("x", Effect.succeed(1), { schedule: Schedule.recurs(1), retryStrategy: () => ({ shouldRetry: false }) }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("both")
    assert.strictEqual(execution.status, "FAILED")
    assert.include(execution.error?.errorMessage, "both a retryStrategy and a schedule")
    await runner.dispose()
  })
})
