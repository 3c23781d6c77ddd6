/**
 * What holds for a step body waiting for its turn under a step limit, or past its timeout while holding one
 * (src/context/step-turn.ts): counted in the engine's memory, and through a FlowLedger as with several hosts on
 * PostgreSQL (here a ledger in memory; the real one in test/adapters/postgres/multi-host-flow.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Engine, type EngineShape } from "../../src/engine/engine.ts"
import { FlowLedger } from "../../src/engine/flow-ledger.ts"
import { durable, type DurableFunction } from "../../src/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { makeLedger } from "../engine/memory-flow-ledger.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** An engine over a memory store, counting step limits in memory or through a ledger. */
const engineOf = (counting: "memory" | "ledger", functions: ReadonlyArray<DurableFunction>) => {
  const base = Engine.layer({ functions: [...functions] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())))
  const runtime = ManagedRuntime.make(counting === "memory" ? base : base.pipe(Layer.provide(Layer.succeed(FlowLedger, makeLedger().ledger))))
  const use = <A, E>(f: (engine: EngineShape) => Effect.Effect<A, E>) => runtime.runPromise(Engine.use(f))
  return { use, start: (executionId: string, input: unknown) => use((engine) => engine.start({ functionName: functions[0]!.name, executionId, input })), dispose: () => runtime.dispose() }
}

/** "holder" holds the key's one turn until `open()`; every other execution's body waits behind it. */
const heldKey = () => {
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  const ran: Array<string> = []
  const fn = durable("limited", async (who: string, ctx) => {
    await ctx.step("call", async () => {
      ran.push(who)
      if (who === "holder") await gate
    }, { concurrencyKey: "api", limit: 1 })
    return who
  })
  return { fn, ran, open }
}

/** Polls until `check` holds, for at most 5 s. */
const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  for (let waited = 0; waited < 5_000; waited += 10) {
    if (await check()) return
    await sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Runs `scenario` while "holder"'s body holds the key's one turn (until `open()`), then disposes of the engine. */
const whileHeld = async (
  counting: "memory" | "ledger",
  scenario: (held: { engine: ReturnType<typeof engineOf>; ran: ReadonlyArray<string>; open: () => void }) => Promise<void>
) => {
  const { fn, ran, open } = heldKey()
  const engine = engineOf(counting, [fn])
  try {
    await engine.start("holder", "holder")
    await until(() => ran.includes("holder"), "the holder's body")
    await scenario({ engine, ran, open })
  } finally {
    await engine.dispose()
  }
}

for (const counting of ["memory", "ledger"] as const) {
  describe(`a step body waiting for its turn (counted in ${counting === "memory" ? "memory" : "a FlowLedger"})`, () => {
    it("never runs once its execution is stopped, and the next in line gets the turn", async () => {
      await whileHeld(counting, async ({ engine, ran, open }) => {
        await engine.start("stopped", "stopped")
        await engine.start("next", "next")
        await sleep(30)
        assert.strictEqual((await engine.use((e) => Effect.andThen(e.stop("stopped"), e.describe("stopped")))).status, "STOPPED")
        open()
        assert.strictEqual((await engine.use((e) => e.awaitEnd("next"))).status, "SUCCEEDED")
        assert.deepStrictEqual(ran, ["holder", "next"])
      })
    })

    it("runs only once its paused execution is resumed", async () => {
      await whileHeld(counting, async ({ engine, ran, open }) => {
        await engine.start("paused", "paused")
        await sleep(30)
        await engine.use((e) => e.pause("paused"))
        open()
        await sleep(100)
        assert.deepStrictEqual(ran, ["holder"], "no body starts while the execution is paused")
        await engine.use((e) => e.resume("paused"))
        assert.strictEqual((await engine.use((e) => e.awaitEnd("paused"))).status, "SUCCEEDED")
        assert.deepStrictEqual(ran, ["holder", "paused"])
      })
    })

    it("dropped from memory and loaded again, runs once: the new actor's", async () => {
      await whileHeld(counting, async ({ engine, ran, open }) => {
        await engine.start("evicted", "evicted")
        await sleep(30)
        await engine.use((e) => e.evict("evicted"))
        await sleep(20)
        // Any message loads it again: its replay reaches the step and asks for a turn of its own.
        await engine.use((e) => Effect.andThen(e.pause("evicted"), e.resume("evicted")))
        open()
        assert.strictEqual((await engine.use((e) => e.awaitEnd("evicted"))).status, "SUCCEEDED")
        await sleep(100)
        assert.deepStrictEqual(ran, ["holder", "evicted"])
      })
    })

    it("past its step timeout, keeps its turn until the body settles: the limit holds", async () => {
      let running = 0
      let most = 0
      const fn = durable("timed", async (_: string, ctx) => {
        await ctx.step("call", async () => {
          running++
          most = Math.max(most, running)
          await sleep(300)
          running--
        }, { concurrencyKey: "api", limit: 1, timeout: { seconds: 0.05 }, retryStrategy: () => ({ shouldRetry: false }) }).catch(() => undefined)
      })
      const engine = engineOf(counting, [fn])
      try {
        for (const id of ["a", "b", "c"]) await engine.start(id, id)
        for (const id of ["a", "b", "c"]) assert.strictEqual((await engine.use((e) => e.awaitEnd(id))).status, "SUCCEEDED")
        await until(() => running === 0, "the bodies to settle")
        assert.strictEqual(most, 1)
      } finally {
        await engine.dispose()
      }
    })
  })
}
