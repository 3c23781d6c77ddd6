/**
 * Messages that meet an execution with no actor in memory at the same moment (after a restart: its own alarm and a
 * child's outcome, say) share one load from the store, so one actor runs it. Found by a crash soak on Deno KV,
 * whose reads wait: each message made its own actor, and the second ran a step body the first had just run.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Engine, type EngineShape } from "../../src/engine/index.ts"
import { durable } from "../../src/index.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A function whose one step hangs while `hanging` (the process "dies" in there: the actor is dropped mid-step). */
const cutOffWorker = () => {
  const state = { bodies: 0, hanging: true }
  const worker = durable("worker", async (_: unknown, ctx) => {
    await ctx.step("work", async () => {
      state.bodies++
      if (state.hanging) await new Promise(() => undefined)
    })
    return "done"
  })
  return { worker, state }
}

/** An engine over `store` running `worker`, and its disposal. */
const engineOver = (worker: ReturnType<typeof cutOffWorker>["worker"], store: ExecutionStoreShape = makeMemoryStore()) => {
  const runtime = ManagedRuntime.make(Engine.layer({ functions: [worker] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  const engine = <A, E>(use: (engine: EngineShape) => Effect.Effect<A, E>): Promise<A> => runtime.runPromise(Engine.use(use))
  return { engine, dispose: () => runtime.dispose() }
}

describe("loading an execution from the store", () => {
  it("messages that meet a cold execution at once share one load: one actor, its step body once", async () => {
    const { worker, state } = cutOffWorker()
    // Reads that wait, as Deno KV's and PostgreSQL's do (the memory store answers at once).
    const inner = makeMemoryStore()
    const later = <A, E>(effect: Effect.Effect<A, E>) => Effect.andThen(Effect.promise(() => sleep(5)), effect)
    const store: ExecutionStoreShape = { ...inner, load: (id) => later(inner.load(id)), getAlarm: (id) => later(inner.getAlarm(id)) }
    const { engine, dispose } = engineOver(worker, store)
    try {
      await engine((e) => e.start({ functionName: "worker", executionId: "w-1" }))
      for (let i = 0; i < 100 && state.bodies === 0; i++) await sleep(5)
      await engine((e) => e.evict("w-1")) // as a crash: the step's body began, its outcome was never written
      state.hanging = false
      // Its watchdog and, say, a heartbeat arrive together: each loads it, and the load replays into the step.
      const delivered = await Promise.all([1, 2, 3].map(() => engine((e) => e.alarm("w-1"))))
      assert.deepStrictEqual(delivered, [true, true, true])
      const view = await engine((e) => e.awaitEnd("w-1"))
      assert.strictEqual(view.status, "SUCCEEDED")
      assert.strictEqual(state.bodies, 2, "the body ran again once, on the one actor the three messages share")
    } finally {
      await dispose()
    }
  })

  // Found from outside (several hosts, the holder killed mid-step): the stop loaded the execution, whose replay began
  // the cut-off step again before the stop was read; it ended STOPPED with the body still running.
  it("a stop or a pause that loads an execution cut off mid-step is handled before the replay begins that step", async () => {
    const { worker, state } = cutOffWorker()
    const { engine, dispose } = engineOver(worker)
    try {
      for (const id of ["stopped", "paused"]) await engine((e) => e.start({ functionName: "worker", executionId: id }))
      for (let i = 0; i < 100 && state.bodies < 2; i++) await sleep(5)
      for (const id of ["stopped", "paused"]) await engine((e) => e.evict(id)) // both cut off mid-step
      state.hanging = false
      await engine((e) => e.stop("stopped"))
      await engine((e) => e.pause("paused"))
      await sleep(50)
      assert.strictEqual((await engine((e) => e.describe("stopped"))).status, "STOPPED")
      assert.strictEqual((await engine((e) => e.describe("paused"))).status, "PAUSED")
      assert.strictEqual(state.bodies, 2, "neither began its step again")
      await engine((e) => e.resume("paused"))
      assert.strictEqual((await engine((e) => e.awaitEnd("paused"))).status, "SUCCEEDED")
      assert.strictEqual(state.bodies, 3, "the resumed one ran it")
    } finally {
      await dispose()
    }
  })

  it("a stop that joins a load begun for another message is still handled before the handler starts", async () => {
    const { worker, state } = cutOffWorker()
    // The loader's read of the alarm waits until the stop has read the log (its own first step) and gone on to join.
    const inner = makeMemoryStore()
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    let loads = 0
    const store: ExecutionStoreShape = {
      ...inner,
      load: (id) => Effect.tap(inner.load(id), () => Effect.sync(() => ++loads === 3 && setTimeout(open, 200))),
      getAlarm: (id) => Effect.andThen(Effect.promise(() => (state.hanging ? Promise.resolve() : gate)), inner.getAlarm(id))
    }
    const { engine, dispose } = engineOver(worker, store)
    try {
      await engine((e) => e.start({ functionName: "worker", executionId: "j-1" }))
      for (let i = 0; i < 100 && state.bodies === 0; i++) await sleep(5)
      await engine((e) => e.evict("j-1"))
      state.hanging = false
      loads = 1
      // Its watchdog begins the load (the 2nd read of the log); the stop (the 3rd) joins it while it is held.
      const alarm = engine((e) => e.alarm("j-1"))
      await sleep(20)
      await engine((e) => e.stop("j-1"))
      await alarm
      assert.strictEqual((await engine((e) => e.describe("j-1"))).status, "STOPPED")
      assert.strictEqual(state.bodies, 1, "the cut-off step did not begin again")
    } finally {
      await dispose()
    }
  })
})
