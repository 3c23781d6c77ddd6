/** The real engine on the SQLite store, woken by the alarm scheduler: a durable wait on real time. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { makeAlarmScheduler, withAlarmScheduler } from "../../../adapters/node/alarm-scheduler.ts"
import { Engine, type EngineShape } from "../../../src/engine/engine.ts"
import { EngineProbe, type EngineProbeShape } from "../../../src/engine/engine-probe.ts"
import type { ExecutionClient } from "../../../src/engine/execution-client.ts"
import { durable } from "../../../src/index.ts"
import { ExecutionStore } from "../../../src/store/execution-store.ts"
import { openStore } from "./sqlite-fixture.ts"

const napThenStep = durable("nap-then-step", async (name: string, ctx) => {
  const before = await ctx.step("before", async () => `hello ${name}`)
  await ctx.wait("nap", { seconds: 1 })
  return { before, after: await ctx.step("after", async () => "woke") }
})

const setup = () => {
  const sqlite = openStore()
  const errors: Array<unknown> = []
  let runtime: ManagedRuntime.ManagedRuntime<Engine | ExecutionClient | EngineProbe, never> | undefined
  const engine = <A, E>(use: (engine: EngineShape) => Effect.Effect<A, E>) => runtime!.runPromise(Engine.use(use))
  const probe = <A>(read: (probe: EngineProbeShape) => A) => runtime!.runSync(EngineProbe.use((p) => Effect.sync(() => read(p))))
  const scheduler = makeAlarmScheduler({
    source: sqlite,
    deliver: (executionId) => engine((e) => e.alarm(executionId)),
    onError: (error) => void errors.push(error)
  })
  const store = withAlarmScheduler(sqlite, scheduler)
  runtime = ManagedRuntime.make(Engine.layer({ functions: [napThenStep] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  scheduler.start()
  const dispose = async () => {
    await scheduler.stop()
    await runtime!.dispose()
  }
  return { sqlite, scheduler, engine, probe, errors, dispose }
}

describe("the engine on SQLite with the alarm scheduler", () => {
  it("a one-second wait resumes the warm execution through the scheduler", async () => {
    const { dispose, engine, errors } = setup()
    const t0 = Date.now()
    await engine((e) => e.start({ functionName: "nap-then-step", input: "warm", executionId: "warm" }))
    const view = await engine((e) => e.awaitEnd("warm"))
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(view.result!), { before: "hello warm", after: "woke" })
    assert.isAtLeast(Date.now() - t0, 1000)
    assert.isBelow(Date.now() - t0, 4000)
    assert.deepStrictEqual(errors, [])
    await dispose()
  })

  it("a wait whose actor was evicted resumes by replay from the SQLite file", async () => {
    const { dispose, engine, probe, errors, sqlite } = setup()
    await engine((e) => e.start({ functionName: "nap-then-step", input: "cold", executionId: "cold" }))
    await engine((e) => e.settle("cold"))
    await engine((e) => e.evict("cold"))
    assert.isFalse(probe((p) => p.inMemory("cold")))
    const view = await engine((e) => e.awaitEnd("cold"))
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(view.result!), { before: "hello cold", after: "woke" })
    assert.strictEqual(probe((p) => p.invocations("cold")), 2)
    const history = await engine((e) => e.history("cold"))
    assert.strictEqual(history.filter((event) => event._tag === "StepSucceeded" && event.name === "before").length, 1)
    assert.deepStrictEqual(sqlite.runningExecutionIds(), [])
    assert.deepStrictEqual(errors, [])
    await dispose()
  })
})
