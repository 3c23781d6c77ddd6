import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Context, Data, Effect, Layer, ManagedRuntime, Schema } from "effect"
import type { StepError } from "../../src/context/errors.ts"
import * as Durable from "../../src/effect/index.ts"
import { createRetryStrategy, retryPresets } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { scopedFunction, until } from "./scoped-function.ts"

class CardDeclined extends Schema.TaggedError<CardDeclined>()("CardDeclined", { attempt: Schema.Number, reason: Schema.String }) {}
class Expired extends Schema.TaggedError<Expired>()("Expired", { at: Schema.Date, amount: Schema.BigInt }) {}
class Transient extends Schema.TaggedError<Transient>()("Transient", { attempt: Schema.Number }) {}
class Payments extends Context.Service<Payments, { readonly charge: (order: string) => Effect.Effect<string> }>()("test/Payments") {}
const noRetry = () => ({ shouldRetry: false })
const here = fileURLToPath(import.meta.url)

describe("reprise/effect", () => {
  it("the README's example: a declined card is tried once and caught; a transient failure is retried", async () => {
    class Declined extends Schema.TaggedError<Declined>()("CardDeclined", { reason: Schema.String }) {}
    const unlessDeclined = (error: Error, attempt: number) =>
      error instanceof Declined ? { shouldRetry: false } : retryPresets.default(error, attempt)
    let calls = 0
    const chargeCard = (orderId: string) =>
      Effect.gen(function*() {
        calls++
        if (orderId === "flaky" && calls === 1) return yield* Effect.die(new Error("503 from the card gateway"))
        if (orderId === "declined") return yield* new Declined({ reason: "insufficient funds" })
        return { chargeId: `ch-${orderId}` }
      })
    const order = Durable.make("order", (event: { orderId: string }) =>
      Durable.step("charge", chargeCard(event.orderId), { error: Declined, retryStrategy: unlessDeclined }).pipe(
        Effect.catchTag("CardDeclined", (e) => Effect.succeed({ declined: e.reason }))
      ))
    const runner = createTestRunner({ functions: [order], skipTime: true })
    assert.deepStrictEqual((await runner.run("order", { orderId: "declined" })).result, { declined: "insufficient funds" })
    assert.strictEqual(calls, 1, "a declined card is not charged again")
    calls = 0
    assert.deepStrictEqual((await runner.run("order", { orderId: "flaky" })).result, { chargeId: "ch-flaky" })
    assert.strictEqual(calls, 2, "a defect is retried")
    await runner.dispose()
  })

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

  it("an invoke given the child's error Schema fails with the child's typed error, on first run and replay", async () => {
    const seen: Array<unknown> = []
    const child = Durable.make("declining", (order: { id: string }) => Effect.fail(new CardDeclined({ attempt: 3, reason: `no funds for ${order.id}` })), {
      error: CardDeclined
    })
    const parent = Durable.make("ordering", () =>
      Effect.gen(function*() {
        const outcome = yield* Durable.invoke("charge", "declining", { id: "o-7" }, { error: CardDeclined })
          .pipe(Effect.catchTag("CardDeclined", (e) => Effect.succeed(`declined: ${e.reason} (attempt ${e.attempt})`)))
        seen.push(outcome)
        yield* Durable.wait("pause", { minutes: 1 })
        return outcome
      }))
    const runner = createTestRunner({ functions: [child, parent] })
    const execution = await runner.start("ordering")
    await (await execution.evict()).settle() // the replay reads the child's failure back from the log
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(seen, ["declined: no funds for o-7 (attempt 3)", "declined: no funds for o-7 (attempt 3)"])
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

  it("keeps a typed error whose fields are no JSON values (a Date, a BigInt) through its Schema's JSON codec, on first run and replay", async () => {
    const seen: Array<unknown> = []
    const fn = Durable.make("expired", () =>
      Effect.gen(function*() {
        const outcome = yield* Durable.step("charge", Effect.fail(new Expired({ at: new Date(Date.UTC(2026, 0, 2)), amount: 12n })), { error: Expired, retryStrategy: noRetry })
          .pipe(Effect.catchTag("Expired", (e) => Effect.succeed(`${e.at instanceof Date ? e.at.toISOString() : typeof e.at} ${typeof e.amount} ${e.amount}`)))
        seen.push(outcome)
        yield* Durable.wait("pause", { minutes: 1 })
        return outcome
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("expired")
    await (await execution.evict()).settle()
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(seen, ["2026-01-02T00:00:00.000Z bigint 12", "2026-01-02T00:00:00.000Z bigint 12"])
    await runner.dispose()
  })

  it("runs step, child context and item bodies with the services of the fiber that called them", async () => {
    const charged: Array<string> = []
    const live = Layer.succeed(Payments, { charge: (order) => Effect.sync(() => (charged.push(order), `ch-${order}`)) })
    const fn = Durable.make("with-services", (event: { orders: ReadonlyArray<string> }) =>
      Effect.gen(function*() {
        const first = yield* Durable.step("charge-first", Payments.use((p) => p.charge(event.orders[0]!)))
        const rest = yield* Durable.map("charge-rest", event.orders.slice(1), (order) =>
          Durable.step("charge", Payments.use((p) => p.charge(order))))
        const nested = yield* Durable.childContext("nested", Durable.step("charge-again", Payments.use((p) => p.charge("again"))))
        return [first, ...rest.getResults(), nested]
      }).pipe(Effect.provide(live)))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("with-services", { orders: ["o-1", "o-2", "o-3"] })
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.result, ["ch-o-1", "ch-o-2", "ch-o-3", "ch-again"])
    assert.deepStrictEqual([...charged].sort(), ["again", "o-1", "o-2", "o-3"])
    await runner.dispose()
  })

  it("the README's shared layer: built once in a ManagedRuntime, it serves every execution and replay without being acquired again", async () => {
    const events: Array<string> = []
    const PoolLive = Layer.effect(
      Payments,
      Effect.acquireRelease(Effect.sync(() => (events.push("open"), { charge: (order: string) => Effect.succeed(`ch-${order}`) })), () => Effect.sync(() => void events.push("close")))
    )
    const app = ManagedRuntime.make(PoolLive)
    const fn = Durable.make("shared", (order: string) =>
      Effect.gen(function*() {
        const charged = yield* Durable.step("charge", Payments.use((p) => p.charge(order)))
        yield* Durable.wait("pause", { seconds: 5 })
        return charged
      }).pipe((program) => Effect.flatMap(app.contextEffect, (services) => Effect.provideContext(program, services))))
    const runner = createTestRunner({ functions: [fn] })
    const first = await runner.start("shared", "o-1")
    await (await first.evict()).settle() // a replay
    const second = await runner.run("shared", "o-2")
    assert.deepStrictEqual([first.result, second.result], ["ch-o-1", "ch-o-2"])
    assert.deepStrictEqual(events, ["open"])
    await runner.dispose()
    await app.dispose()
    assert.deepStrictEqual(events, ["open", "close"])
  })

  it("says in its type what a step without an error Schema fails with: StepError, never the body's own error", async () => {
    class Plain extends Data.TaggedError("Plain")<{ readonly code: number }> {}
    const charge = Durable.step("charge", Effect.fail(new Plain({ code: 7 })), { retryStrategy: noRetry })
    // The type is checked by `npm test`'s tsc: with the body's error in it, `catchTag("Plain")` compiled and never ran.
    const typed: Effect.Effect<never, StepError, Durable.DurableCtx> = charge
    // A child context without its error's Schema fails with the ChildContextError that holds it: typed as Error.
    const child: Effect.Effect<never, Error, Durable.DurableCtx> = Durable.childContext("c", Effect.fail(new Plain({ code: 1 })))
    void child
    // A step's body cannot use durable operations (a step is one checkpoint): a type error, not ContextUsageError at run time.
    // @ts-expect-error the body uses DurableCtx
    void Durable.step("outer", Durable.wait("inner", { seconds: 1 }))
    const fn = Durable.make("untyped", () => typed.pipe(Effect.catch((e) => Effect.succeed(`${e.name}: ${e.message}`))))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("untyped")
    assert.strictEqual(execution.result, 'StepError: {"code":7,"_tag":"Plain"}')
    await runner.dispose()
  })

  it("records an Effect's failure with its own stack and cause chain, in a step and at the function's end", async () => {
    const failing = (what: string) => Effect.fail(new Error(`${what} failed`, { cause: new TypeError(`${what}: socket hang up`) })) // FAILS-HERE
    const fn = Durable.make("story", () =>
      Durable.step("charge", failing("charge"), { retryStrategy: noRetry }).pipe(Effect.catch(() => failing("end"))))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("story")
    const line = `durable-effect.test.ts:${readFileSync(here, "utf8").split("\n").findIndex((l) => l.includes("// FAILS-HERE")) + 1}:`
    const step = execution.getOperation("charge")?.error
    assert.deepStrictEqual([step?.errorType, step?.errorMessage], ["Error", "charge failed"])
    assert.include(step?.stackTrace?.[0] ?? "", line, JSON.stringify(step))
    assert.deepStrictEqual(step?.causes?.map((c) => [c.errorType, c.errorMessage]), [["TypeError", "charge: socket hang up"]])
    assert.deepStrictEqual([execution.error?.errorType, execution.error?.errorMessage], ["Error", "end failed"])
    assert.include(execution.error?.stackTrace?.[0] ?? "", line, JSON.stringify(execution.error))
    assert.deepStrictEqual(execution.error?.causes?.map((c) => c.errorMessage), ["end: socket hang up"])
    await runner.dispose()
  })

  it("a step's typed error that the function fails with keeps the line where the step made it, on first run and replay", async () => {
    const declined = new CardDeclined({ attempt: 1, reason: "insufficient funds" }) // TYPED-HERE
    const fn = Durable.make("typed-end", () =>
      Effect.gen(function*() {
        return yield* Durable.step("charge", Effect.fail(declined), { error: CardDeclined, retryStrategy: noRetry })
      }), { error: CardDeclined })
    const runner = createTestRunner({ functions: [fn] })
    const line = `durable-effect.test.ts:${readFileSync(here, "utf8").split("\n").findIndex((l) => l.includes("// TYPED-HERE")) + 1}:`
    const first = await runner.run("typed-end")
    // Crashed after the step's failure was written, the execution ends on the replay, which reads it from the log.
    const replayed = await runner.run("typed-end", undefined, { crashAtEveryCheckpoint: true })
    for (const execution of [first, replayed]) {
      assert.strictEqual(execution.error?.errorType, "CardDeclined")
      assert.include(execution.error?.stackTrace?.[0] ?? "", line, JSON.stringify(execution.error))
    }
    await runner.dispose()
  })

  it("hands the retry strategy what the body failed with, so retryableErrorTypes takes the tagged error's class", async () => {
    let attempts = 0
    const fn = Durable.make("transient", () =>
      Durable.step(
        "flaky",
        Effect.suspend(() => (++attempts < 3 ? Effect.fail(new Transient({ attempt: attempts })) : Effect.succeed(attempts))),
        { error: Transient, retryStrategy: createRetryStrategy({ maxAttempts: 5, retryableErrorTypes: [Transient] }) }
      ))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("transient")
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    assert.deepStrictEqual([execution.result, attempts], [3, 3])
    await runner.dispose()
  })

  it("decodes a callback's result with its schema, typed as the schema's value", async () => {
    const Approval = Schema.Struct({ approved: Schema.Boolean, by: Schema.String })
    const fn = Durable.make("approval", () =>
      Effect.gen(function*() {
        const answer = yield* Durable.waitForCallback("approve", () => Effect.void, { schema: Approval, timeout: { days: 1 } })
        const approved: boolean = answer.approved // typed by the schema (it was string)
        return approved ? `approved by ${answer.by}` : "refused"
      }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("approval", undefined, { callbacks: { approve: () => ({ succeed: JSON.stringify({ approved: true, by: "ana" }) }) } })
    assert.strictEqual(execution.result, "approved by ana")
    await runner.dispose()
  })

  it("a stop interrupts the function's fiber: its finalizers run (a layer's release, onInterrupt), and it ends STOPPED", async () => {
    const { fn, events } = scopedFunction({ days: 3 })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("scoped")
    assert.deepStrictEqual(events, ["acquire"])
    await execution.stop()
    await until(() => events.includes("release"), "the release")
    assert.deepStrictEqual(events, ["acquire", "wait interrupted", "release"])
    assert.strictEqual(execution.status, "STOPPED")
    await runner.dispose()
  })

  it("an eviction interrupts the function's fiber too: its finalizers run, and the replay acquires again and ends", async () => {
    const { fn, events } = scopedFunction({ days: 3 })
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.start("scoped")
    assert.deepStrictEqual(events, ["acquire"])
    await execution.evict()
    await until(() => events.includes("release"), "the release")
    assert.deepStrictEqual(events, ["acquire", "wait interrupted", "release"], "the evicted fiber's layer is released")
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.result, "row")
    assert.deepStrictEqual(events, ["acquire", "wait interrupted", "release", "acquire", "release"])
    await runner.dispose()
  })
})
