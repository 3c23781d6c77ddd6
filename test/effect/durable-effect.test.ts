import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Durable from "../../src/effect/index.ts"
import { createRetryStrategy } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

class CardDeclined extends Schema.TaggedError<CardDeclined>()("CardDeclined", { attempt: Schema.Number, reason: Schema.String }) {}

describe("reprise/effect", () => {
  it("runs the order example with the same counts, result and history as the async version", async () => {
    const runs = { process: 0, charge: 0, confirm: 0 }
    const order = Durable.make("order", (event: { orderId: string }) =>
      Effect.gen(function*() {
        const processed = yield* Durable.step("process-order", Effect.sync(() => {
          runs.process++
          return { orderId: event.orderId }
        }))
        const charged = yield* Durable.step(
          "charge-payment",
          Effect.gen(function*() {
            runs.charge++
            if (runs.charge < 3) return yield* new CardDeclined({ attempt: runs.charge, reason: "insufficient funds" })
            return { chargeId: `ch-${processed.orderId}` }
          }),
          { error: CardDeclined }
        )
        yield* Durable.step("send-confirmation", Effect.sync(() => void runs.confirm++))
        return { orderId: processed.orderId, chargeId: charged.chargeId }
      }))
    const runner = createTestRunner({ functions: [order] })
    const execution = await runner.run("order", { orderId: "o-1" })
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { orderId: "o-1", chargeId: "ch-o-1" })
    assert.deepStrictEqual(runs, { process: 1, charge: 3, confirm: 1 })
    assert.deepStrictEqual(
      execution.history.map((e) => `${e._tag}${"name" in e && e.name !== undefined ? ` ${e.name}` : ""}`),
      [
        "ExecutionStarted",
        "StepSucceeded process-order",
        "StepFailed charge-payment",
        "StepFailed charge-payment",
        "StepSucceeded charge-payment",
        "StepSucceeded send-confirmation",
        "ExecutionSucceeded"
      ]
    )
    const failure = execution.history.find((e) => e._tag === "StepFailed")
    assert.strictEqual(failure?._tag === "StepFailed" ? failure.error.errorType : undefined, "CardDeclined")
    await runner.dispose()
  })

  it("a wait out of range fails with InvalidDurationError that the function can catch, as ctx.wait's", async () => {
    const fn = Durable.make("bad-wait", () =>
      Durable.wait("too-short", { seconds: 0 }).pipe(
        Effect.as("waited"),
        Effect.catch((error) => Effect.succeed(`refused: ${error.name}`))
      ))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("bad-wait")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.strictEqual(execution.result, "refused: InvalidDurationError")
    await runner.dispose()
  })

  it("a child context given its error's Schema fails with that typed error, on first run and replay; its message is readable", async () => {
    const seen: Array<unknown> = []
    const fn = Durable.make("typed-child", () =>
      Effect.gen(function*() {
        const outcome = yield* Durable.childContext("checkout", Effect.fail(new CardDeclined({ attempt: 2, reason: "in child" })), CardDeclined)
          .pipe(Effect.catchTag("CardDeclined", (e) => Effect.succeed(`declined: ${e.reason} (attempt ${e.attempt})`)))
        seen.push(outcome)
        yield* Durable.wait("settle", { seconds: 5 })
        return outcome
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("typed-child")
    await (await execution.evict()).settle() // the replay reads the failure back from the log
    assert.strictEqual(execution.result, "declined: in child (attempt 2)")
    assert.deepStrictEqual(seen, ["declined: in child (attempt 2)", "declined: in child (attempt 2)"])
    const failed = execution.history.find((e) => e._tag === "ContextFailed")
    const message = failed?._tag === "ContextFailed" ? failed.error.errorMessage : ""
    assert.include(message, "in child", "a tagged error's empty message is replaced by what it holds")
    await runner.dispose()
  })

  it("keeps typed errors across the log: catchTag sees the same decoded error on first run and on replay", async () => {
    const seen: Array<unknown> = []
    const fn = Durable.make("typed", () =>
      Effect.gen(function*() {
        const outcome = yield* Durable.step("charge", Effect.fail(new CardDeclined({ attempt: 1, reason: "stolen card" })), {
          error: CardDeclined,
          retryStrategy: () => ({ shouldRetry: false })
        }).pipe(Effect.catchTag("CardDeclined", (e) => Effect.succeed(`declined: ${e.reason} (attempt ${e.attempt})`)))
        seen.push(outcome)
        yield* Durable.wait("pause", { minutes: 1 })
        return outcome
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("typed")
    await execution.evict()
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(seen, ["declined: stolen card (attempt 1)", "declined: stolen card (attempt 1)"])
    assert.strictEqual(execution.invocations, 2)
    await runner.dispose()
  })

  it("records a function's typed failure with its tag and encoded data", async () => {
    const fn = Durable.make("fails", () => Effect.fail(new CardDeclined({ attempt: 0, reason: "no card" })), { error: CardDeclined })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("fails")
    assert.strictEqual(execution.status, "FAILED")
    assert.strictEqual(execution.error?.errorType, "CardDeclined")
    assert.deepStrictEqual(JSON.parse(execution.error!.errorData!), { _tag: "CardDeclined", attempt: 0, reason: "no card" })
    await runner.dispose()
  })

  it("runs map, parallel, waits and callbacks as Effects on the same engine", async () => {
    const fn = Durable.make("composite", () =>
      Effect.gen(function*() {
        const squares = yield* Durable.map("squares", [1, 2, 3], (n) => Durable.step("square", Effect.succeed(n * n)), { maxConcurrency: 2 })
        const branches = yield* Durable.parallel("both", [
          { name: "a", run: Durable.step("a", Effect.succeed("A")) },
          { name: "b", run: Effect.andThen(Durable.wait("nap", { hours: 1 }), Durable.step("b", Effect.succeed("B"))) }
        ])
        const answer = yield* Durable.waitForCallback("approve", () => Effect.void, { timeout: { days: 1 } })
        return { squares: squares.getResults(), branches: branches.getResults(), answer }
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("composite", undefined, { callbacks: { approve: () => ({ succeed: "yes" }) } })
    assert.deepStrictEqual(execution.result, { squares: [1, 4, 9], branches: ["A", "B"], answer: "yes" })
    await runner.dispose()
  })

  it("a step timeout interrupts the step's Effect (its finalizer runs) and the retry succeeds; patched reads the log's markers", async () => {
    const finalized: Array<number> = []
    const fn = Durable.make("effect-timeout", () =>
      Effect.gen(function*() {
        const fresh = yield* Durable.patched("new-path")
        const value = yield* Durable.step(
          "slow",
          Effect.gen(function*() {
            const { attempt } = yield* Durable.StepCtx
            if (attempt === 1) {
              yield* Effect.addFinalizer(() => Effect.sync(() => void finalized.push(attempt)))
              return yield* Effect.never
            }
            return attempt
          }).pipe(Effect.scoped),
          { timeout: { seconds: 0.05 }, retryStrategy: createRetryStrategy({ maxAttempts: 2 }) }
        )
        return { fresh, value }
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("effect-timeout")
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.deepStrictEqual(execution.result, { fresh: true, value: 2 })
    assert.deepStrictEqual(finalized, [1])
    const failed = execution.history.find((e) => e._tag === "StepFailed")
    assert.strictEqual(failed?._tag === "StepFailed" ? failed.error.errorType : undefined, "StepTimeoutError")
    assert.ok(execution.history.some((e) => e._tag === "PatchMarked"))
    await runner.dispose()
  })
})
