/**
 * Issue 19, item 1: a start and its watchdog alarm are one write. A crash between the commit of ExecutionStarted
 * and a separate alarm write used to leave a running execution that nothing would ever resume; here the separate
 * alarm write fails (as a crash there would cut it short) and the execution must still be watched. And an
 * idempotent repeat of a start wakes an execution left running without an alarm.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { EngineProbe } from "../../src/engine/engine-probe.ts"
import { Engine, WATCHDOG_MS } from "../../src/engine/index.ts"
import { durable } from "../../src/index.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { failingStore } from "./failing-store.ts"

let gate: { open: () => void; opened: Promise<void> }
const makeGate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}
let bodyRuns = 0
const slow = durable("slow", async (_: unknown, ctx) =>
  ctx.step("work", async () => {
    bodyRuns++
    await gate.opened
    return "done"
  }))
const napping = durable("napping", async (_: unknown, ctx) => {
  await ctx.wait("nap", { hours: 1 })
  return "woke"
})

const runtimes: Array<ManagedRuntime.ManagedRuntime<Engine | EngineProbe, never>> = []
afterEach(async () => {
  gate?.open()
  for (const runtime of runtimes.splice(0)) await runtime.dispose()
})

/** An engine process over `store`; disposing it is the process going away. */
const engineOver = (store: ExecutionStoreShape) => {
  const runtime = ManagedRuntime.make(Engine.layer({ functions: [slow, napping] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  runtimes.push(runtime)
  return <A, E>(use: (engine: Engine["Service"], probe: EngineProbe["Service"]) => Effect.Effect<A, E>) =>
    runtime.runPromise(Effect.flatMap(Effect.all([Engine, EngineProbe]), ([e, p]) => use(e, p)))
}

const started = (executionId: string, functionName: string, at: number) => ({
  _tag: "ExecutionStarted" as const,
  seq: 1,
  at,
  executionId,
  functionName,
  timeoutAt: at + 3_600_000 * 24,
  retentionMs: 60_000
})

describe("a start and its watchdog", () => {
  it("are written together: with the separate alarm write failing, the started execution still has its watchdog and resumes after a crash", async () => {
    gate = makeGate()
    bodyRuns = 0
    const { inner, state, store } = failingStore()
    state.broken.add("setAlarm")
    const first = engineOver(store)
    const before = Date.now()
    await first((e) => e.start({ functionName: "slow", executionId: "w-1" }))
    const alarm = await Effect.runPromise(inner.getAlarm("w-1"))
    assert.isDefined(alarm, "the start left an alarm")
    assert.isAtLeast(alarm!, before + WATCHDOG_MS)
    assert.isAtMost(alarm!, Date.now() + WATCHDOG_MS)
    assert.strictEqual(state.refused, 0, "no separate alarm write was needed")

    await runtimes.shift()!.dispose() // the process dies mid-step
    state.broken.delete("setAlarm")
    const second = engineOver(store)
    await second((e) => e.alarm("w-1")) // what a host does with the watchdog once it is due
    gate.open()
    const ended = await second((e) => Effect.timeout(e.awaitEnd("w-1"), "30 seconds"))
    assert.strictEqual(ended.status, "SUCCEEDED")
    assert.strictEqual(bodyRuns, 2, "the step body in flight at the crash ran again, once")
  })

  it("an idempotent repeat of the start wakes an execution left running without an alarm", async () => {
    gate = makeGate()
    gate.open()
    const { inner } = failingStore()
    // What a crash between the two writes left behind on the old code: ExecutionStarted, and no alarm.
    await Effect.runPromise(inner.append("stuck-1", [started("stuck-1", "slow", Date.now())], 0))
    const engine = engineOver(inner)
    const repeat = await engine((e) => e.start({ functionName: "slow", executionId: "stuck-1" }))
    assert.deepStrictEqual(repeat, { executionId: "stuck-1", created: false })
    const ended = await engine((e) => Effect.timeout(e.awaitEnd("stuck-1"), "30 seconds"))
    assert.strictEqual(ended.status, "SUCCEEDED")
  })

  it("an idempotent repeat leaves a suspended execution with a future alarm where it is (no replay)", async () => {
    const { inner } = failingStore()
    const engine = engineOver(inner)
    await engine((e) => e.start({ functionName: "napping", executionId: "nap-1" }))
    await engine((e) => e.settle("nap-1"))
    assert.strictEqual(await engine((e) => e.evictIdle()), 1)
    await engine((e) => e.start({ functionName: "napping", executionId: "nap-1" }))
    assert.isFalse(await engine((_, probe) => Effect.sync(() => probe.inMemory("nap-1"))))
    assert.strictEqual(await engine((_, probe) => Effect.sync(() => probe.invocations("nap-1"))), 1)
  })
})
