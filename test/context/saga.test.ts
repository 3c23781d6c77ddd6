import { assert, describe, it } from "@effect/vitest"
import { CompensationError, createRetryStrategy, DurableOperationError, durable, JitterStrategy, saga } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

/** A trip: book a flight and a hotel (each with its compensation), then charge; `failCharge` makes the charge fail. */
const tripOf = (name: string, effects: Array<string>, options: { awaitApproval?: boolean; flakyCancelFlight?: number } = {}) => {
  let cancelFlightFailures = options.flakyCancelFlight ?? 0
  return durable(name, async (input: { failCharge: boolean }, ctx) =>
    saga(ctx, "trip", async (body, trip) => {
      const flight = await trip.step("book-flight", async () => {
        effects.push("book flight")
        return { flight: "F1" }
      }, {
        compensate: async (booked) => {
          if (cancelFlightFailures > 0) {
            cancelFlightFailures--
            throw new Error("airline busy")
          }
          effects.push(`cancel flight ${booked.flight}`)
        },
        compensationRetryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 10 }, jitter: JitterStrategy.NONE })
      })
      const hotel = await trip.step("book-hotel", async () => {
        effects.push("book hotel")
        return { hotel: "H1" }
      }, { compensate: async (booked) => void effects.push(`cancel hotel ${booked.hotel}`) })
      if (options.awaitApproval === true) await body.waitForCallback("approval", async () => {})
      await body.step("charge", async () => {
        effects.push("charge")
        if (input.failCharge) throw new Error("card declined")
      }, { retryStrategy: () => ({ shouldRetry: false }) })
      return { ...flight, ...hotel }
    }))
}

const compensationOps = (ops: ReadonlyArray<{ subType: string; name?: string | undefined; status: string }>) =>
  ops.filter((op) => op.subType === "Compensation").map((op) => `${op.name} ${op.status}`)

describe("saga", () => {
  it("returns the body's result and compensates nothing when the body succeeds", async () => {
    const effects: Array<string> = []
    const runner = createTestRunner({ functions: [tripOf("trip-ok", effects)] })
    const execution = await runner.run("trip-ok", { failCharge: false })
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { flight: "F1", hotel: "H1" })
    assert.deepStrictEqual(effects, ["book flight", "book hotel", "charge"])
    assert.deepStrictEqual(compensationOps(execution.operations), [])
    await runner.dispose()
  })

  it("runs the compensations of the steps that succeeded, in reverse order, as steps, then fails with the body's error", async () => {
    const effects: Array<string> = []
    const runner = createTestRunner({ functions: [tripOf("trip-fails", effects)] })
    const execution = await runner.run("trip-fails", { failCharge: true })
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorMessage, "card declined")
    assert.deepStrictEqual(effects, ["book flight", "book hotel", "charge", "cancel hotel H1", "cancel flight F1"])
    assert.deepStrictEqual(compensationOps(execution.operations), ["compensate book-hotel SUCCEEDED", "compensate book-flight SUCCEEDED"])
    const saga = execution.operations.find((op) => op.subType === "Saga")
    assert.strictEqual(saga?.status, "FAILED")
    await runner.dispose()
  })

  it("after a crash between two compensations, goes on with the next and never runs the recorded one again", async () => {
    const effects: Array<string> = []
    // The flight's cancellation fails once: its retry waits on a durable timer, after the hotel's was recorded.
    const runner = createTestRunner({ functions: [tripOf("trip-crash", effects, { flakyCancelFlight: 1 })] })
    const execution = await runner.start("trip-crash", { failCharge: true })
    assert.strictEqual(execution.status, "RUNNING")
    assert.deepStrictEqual(compensationOps(execution.operations), ["compensate book-hotel SUCCEEDED", "compensate book-flight PENDING"])
    await execution.evict() // the crash: the actor is gone, and the next wake-up replays the handler from the log
    await execution.advanceTime({ seconds: 10 })
    await execution.settle()
    assert.strictEqual(execution.status, "FAILED")
    assert.isAbove(execution.invocations, 1)
    assert.deepStrictEqual(effects, ["book flight", "book hotel", "charge", "cancel hotel H1", "cancel flight F1"])
    assert.deepStrictEqual(compensationOps(execution.operations), ["compensate book-hotel SUCCEEDED", "compensate book-flight SUCCEEDED"])
    assert.strictEqual(execution.getOperation("compensate book-flight")?.attempt, 2)
    await runner.dispose()
  })

  it("crashing at every checkpoint gives the outcome of a calm run", async () => {
    const effects: Array<string> = []
    const runner = createTestRunner({ functions: [tripOf("trip-crashes", effects)] })
    const execution = await runner.run("trip-crashes", { failCharge: true }, { crashAtEveryCheckpoint: true })
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorMessage, "card declined")
    assert.isAbove(execution.checkpointCrashes!.crashes, 10)
    assert.deepStrictEqual(compensationOps(execution.operations), ["compensate book-hotel SUCCEEDED", "compensate book-flight SUCCEEDED"])
    // At least once: a crash before a compensation's write runs it again, but each is recorded once, in order.
    const undo = effects.filter((e) => e.startsWith("cancel"))
    assert.deepStrictEqual([...new Set(undo)], ["cancel hotel H1", "cancel flight F1"])
    await runner.dispose()
  })

  for (const cold of [false, true]) {
    it(`a stop while the saga waits compensates, then the execution ends STOPPED${cold ? " (the actor evicted first)" : ""}`, async () => {
      const effects: Array<string> = []
      const runner = createTestRunner({ functions: [tripOf("trip-stop", effects, { awaitApproval: true })] })
      const execution = await runner.start("trip-stop", { failCharge: false })
      assert.strictEqual(execution.status, "RUNNING")
      if (cold) await execution.evict()
      await execution.stop({ errorMessage: "customer cancelled" })
      await execution.settle()
      assert.strictEqual(execution.status, "STOPPED")
      assert.strictEqual(execution.error?.errorMessage, "customer cancelled")
      assert.deepStrictEqual(effects, ["book flight", "book hotel", "cancel hotel H1", "cancel flight F1"])
      assert.deepStrictEqual(compensationOps(execution.operations), ["compensate book-hotel SUCCEEDED", "compensate book-flight SUCCEEDED"])
      const tags = execution.history.map((e) => e._tag)
      assert.strictEqual(tags.filter((t) => t === "ExecutionStopRequested").length, 1)
      assert.strictEqual(tags.at(-1), "ExecutionStopped")
      await runner.dispose()
    })
  }

  it("a stop outside any saga still ends the execution at once", async () => {
    const effects: Array<string> = []
    const fn = durable("no-saga-stop", async (_: unknown, ctx) => {
      await ctx.waitForCallback("approval", async () => {})
      effects.push("after")
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("no-saga-stop")
    await execution.stop()
    assert.strictEqual(execution.status, "STOPPED")
    assert.notInclude(execution.history.map((e) => e._tag), "ExecutionStopRequested")
    await runner.dispose()
  })

  it("a compensation that fails: the CompensationError is caused by the body's error, down to what its step threw", async () => {
    const noRetry = () => ({ shouldRetry: false })
    const fn = durable("undo-fails", async (_: unknown, ctx) => {
      try {
        return await saga(ctx, "trip", async (body, trip) => {
          await trip.step("book", async () => 1, { compensate: async () => { throw new Error("cannot undo") }, compensationRetryStrategy: noRetry })
          await body.step("charge", async () => { throw new RangeError("card declined") }, { retryStrategy: noRetry })
        })
      } catch (error) {
        const chain: Array<string> = []
        for (let node: unknown = error; node !== undefined && chain.length < 6; node = (node as { cause?: unknown }).cause) {
          chain.push(node instanceof Error ? node.name : `not an Error: ${typeof node}`)
        }
        return { chain, compensation: (error as Error).cause instanceof CompensationError, causedBy: DurableOperationError.isCausedBy(error, RangeError) }
      }
    })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("undo-fails")
    assert.deepStrictEqual(execution.result, {
      chain: ["ChildContextError", "CompensationError", "ChildContextError", "StepError", "RangeError"],
      compensation: true,
      causedBy: true
    })
    await runner.dispose()
  })
})
