/**
 * The timer's own failures (a read of the store's next alarm that failed) are lines of the log its fiber runs with,
 * the host's once the host starts it: not a raw console.error beside the host's JSON lines.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type AlarmDispatcherShape, hostLoggingLayer, makeTimerWakeUps } from "../../src/host/index.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"

describe("the alarm timer's failures", () => {
  it.live("a failed read of the next alarm is a line of the host's log, and the timer reads again", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      let reads = 0
      const timer = makeTimerWakeUps(() =>
        Effect.suspend(() => (++reads === 1 ? Effect.fail(new StoreFailure({ operation: "nextAlarm", reason: "disk gone" })) : Effect.succeed(undefined)))
      )
      const dispatcher = { deliverDue: () => Effect.succeed(0) } as unknown as AlarmDispatcherShape
      yield* Effect.scoped(Effect.gen(function*() {
        yield* timer.start(dispatcher)
        // Bounded: the retry read comes a second after the failed one.
        for (let i = 0; i < 500 && reads < 2; i++) yield* Effect.sleep(10)
      })).pipe(Effect.provide(hostLoggingLayer({ format: "json", write: (line) => lines.push(line) }, () => undefined)))
      assert.isAtLeast(reads, 2, "read again after the failure")
      assert.lengthOf(lines, 1)
      const line = JSON.parse(lines[0]!) as Record<string, string>
      assert.strictEqual(line.level, "error")
      assert.strictEqual(line.message, "the alarm timer: reading the next alarm failed; reading again in 1000 ms")
      assert.include(line.cause, "disk gone")
    }))
})
