/**
 * What holds for a step body waiting for its turn under a step limit, or past its timeout while holding one
 * (src/context/step-turn.ts): counted in the engine's memory, and through a FlowLedger as with several hosts on
 * PostgreSQL (here a ledger in memory; the real one in test/adapters/postgres/multi-host-flow.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Engine, type EngineShape } from "../../src/engine/engine.ts"
import type { EngineOptions } from "../../src/engine/engine-options.ts"
import { FlowLedger } from "../../src/engine/flow-ledger.ts"
import { durable, type DurableFunction, StepSemantics } from "../../src/index.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { makeLedger } from "../engine/memory-flow-ledger.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** An engine over a memory store, counting step limits in memory or through a ledger. */
const engineOf = (
  counting: "memory" | "ledger",
  functions: ReadonlyArray<DurableFunction>,
  store: ExecutionStoreShape = makeMemoryStore(),
  options: Omit<EngineOptions, "functions"> = {}
) => {
  const base = Engine.layer({ ...options, functions: [...functions] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store)))
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


/** Until the execution's "long" wait is written (its handler blocked on it) and a settle finds it idle. */
const blockedOnItsWait = async (engine: ReturnType<typeof engineOf>, executionId: string) => {
  await until(async () => (await engine.use((e) => e.describe(executionId))).operations.some((op) => op.name === "long"), "the long wait")
  await engine.use((e) => e.settle(executionId))
}

/** `store`, whose appends that carry a StepStarted go through `first` before it (a slow or failing write). */
const onStepStarted = (store: ExecutionStoreShape, first: (executionId: string) => Effect.Effect<void, StoreFailure>): ExecutionStoreShape => ({
  ...store,
  append: (executionId, events, expectedSeq, options) =>
    events.some((event) => event._tag === "StepStarted")
      ? Effect.andThen(first(executionId), store.append(executionId, events, expectedSeq, options))
      : store.append(executionId, events, expectedSeq, options)
})

/** An at-most-once step (with `limit` or without) whose StepStarted takes 80 ms to write, paused 20 ms in. */
const pausedWhileStarting = async (counting: "memory" | "ledger", limit: { concurrencyKey?: string; limit?: number }) => {
  const slow = onStepStarted(makeMemoryStore(), () => Effect.promise(() => sleep(80)))
  let ran = 0
  const fn = durable("once", async (_: string, ctx) =>
    ctx.step("call", async () => void ran++, { ...limit, semantics: StepSemantics.AtMostOncePerRetry }))
  const engine = engineOf(counting, [fn], slow)
  try {
    await engine.start("v", "v")
    await sleep(20)
    await engine.use((e) => e.pause("v"))
    await sleep(200)
    assert.strictEqual(ran, 0, "no body starts while the execution is paused")
    await engine.use((e) => e.resume("v"))
    assert.strictEqual((await engine.use((e) => e.awaitEnd("v"))).status, "SUCCEEDED")
    assert.strictEqual(ran, 1)
  } finally {
    await engine.dispose()
  }
}

describe("an at-most-once step without a limit", () => {
  it("paused while its StepStarted is written, runs its body only once resumed", () => pausedWhileStarting("memory", {}))
})

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

    it("has written nothing: an at-most-once step waiting when its process dies runs after the restart, not as an interrupted attempt", async () => {
      const store = makeMemoryStore()
      let open!: () => void
      const gate = new Promise<void>((resolve) => (open = resolve))
      const ran: Array<string> = []
      const fn = durable("once", async (who: string, ctx) =>
        ctx.step("call", async () => {
          ran.push(who)
          if (who === "holder") await gate
          return who
        }, { concurrencyKey: "api", limit: 1, semantics: StepSemantics.AtMostOncePerRetry, retryStrategy: () => ({ shouldRetry: false }) }))
      const before = engineOf(counting, [fn], store)
      await before.start("holder", "holder")
      await until(() => ran.includes("holder"), "the holder's body")
      await before.start("waiting", "waiting")
      await sleep(30)
      const log = await Effect.runPromise(store.load("waiting"))
      assert.deepStrictEqual(log!.events.map((event) => event._tag), ["ExecutionStarted"], "nothing of the waiting step is written")
      await before.dispose() // the process dies: the holder's body goes with it
      open()
      const after = engineOf(counting, [fn], store)
      try {
        // Any message loads it again (a host's recovery does the same from its alarm).
        await after.use((e) => Effect.andThen(e.pause("waiting"), e.resume("waiting")))
        const view = await after.use((e) => e.awaitEnd("waiting"))
        assert.deepStrictEqual([view.status, view.result], ["SUCCEEDED", JSON.stringify("waiting")])
      } finally {
        await after.dispose()
      }
    })

    it("an at-most-once step whose StepStarted never lands (the store failed, the actor stopped) gives its turn back", async () => {
      let failOnce = true
      const failing = onStepStarted(makeMemoryStore(), (executionId) =>
        Effect.suspend(() => {
          if (executionId !== "victim" || !failOnce) return Effect.void
          failOnce = false
          return Effect.fail(new StoreFailure({ operation: "append", reason: "disk full" }))
        }))
      const ran: Array<string> = []
      const fn = durable("once", async (who: string, ctx) =>
        ctx.step("call", async () => {
          ran.push(who)
          return who
        }, { concurrencyKey: "api", limit: 1, semantics: StepSemantics.AtMostOncePerRetry }))
      const engine = engineOf(counting, [fn], failing)
      try {
        await engine.start("victim", "victim")
        await until(async () => !failOnce, "the failed append")
        await engine.start("next", "next")
        // The key is not held by the lost turn.
        await until(async () => (await engine.use((e) => e.describe("next"))).status === "SUCCEEDED", "next to succeed")
        assert.deepStrictEqual(ran, ["next"])
      } finally {
        await engine.dispose()
      }
    })

    it("an at-most-once step paused while its StepStarted is written runs its body only once resumed", () =>
      pausedWhileStarting(counting, { concurrencyKey: "api", limit: 1 }))

    it("beside a branch blocked on a long wait, stays in memory and runs as soon as its turn comes", async () => {
      const { fn: holding, ran, open } = heldKey()
      const f = durable("f", async (_: string, ctx) => {
        await Promise.all([ctx.wait("long", { hours: 1 }), ctx.step("limited", async () => void ran.push("waiter"), { concurrencyKey: "api", limit: 1 })])
      })
      const engine = engineOf(counting, [holding, f])
      try {
        await engine.start("holder", "holder")
        await until(() => ran.includes("holder"), "the holder's body")
        await engine.use((e) => e.start({ functionName: "f", executionId: "waiter", input: "waiter" }))
        await blockedOnItsWait(engine, "waiter")
        // The idle eviction leaves it: evicted, it would load again only when the hour's wait falls due.
        assert.strictEqual(await engine.use((e) => e.evictIdle()), 0)
        open()
        await until(() => ran.includes("waiter"), "the waiting body")
        await until(async () => (await engine.use((e) => e.describe("waiter"))).operations.some((op) => op.name === "limited" && op.status === "SUCCEEDED"), "the step's outcome")
      } finally {
        await engine.dispose()
      }
    })

    it("keeps its watchdog while it waits for its turn beside a branch blocked on a long wait", async () => {
      const store = makeMemoryStore()
      const { fn: holding, ran, open } = heldKey()
      const f = durable("f", async (_: string, ctx) => {
        await Promise.all([ctx.wait("long", { hours: 1 }), ctx.step("limited", async () => void ran.push("waiter"), { concurrencyKey: "api", limit: 1 })])
      })
      const engine = engineOf(counting, [holding, f], store)
      try {
        await engine.start("holder", "holder")
        await until(() => ran.includes("holder"), "the holder's body")
        await engine.use((e) => e.start({ functionName: "f", executionId: "waiter", input: "waiter" }))
        await blockedOnItsWait(engine, "waiter") // a settle offers the actor a Suspend, which it refuses
        const alarm = await Effect.runPromise(store.getAlarm("waiter"))
        assert.isBelow(alarm! - Date.now(), 60_000, "its alarm is the watchdog, not the hour's wait")
        open()
        await until(() => ran.includes("waiter"), "the waiting body")
      } finally {
        await engine.dispose()
      }
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

/** Under concurrency 1: "first" waits an hour beside a limited step; any other runs one plain step. */
const firstWaitsSecondRuns = (ran: Array<string>) =>
  durable("f", async (who: string, ctx) => {
    if (who === "first") await Promise.all([ctx.wait("long", { hours: 1 }), ctx.step("limited", async () => void ran.push(who), { concurrencyKey: "api", limit: 1 })])
    else await ctx.step("plain", async () => void ran.push(who))
  }, { concurrency: 1 })

// Counted in memory only: a start that finds the function's slot full is queued, and the memory ledger has no queue
// (PostgreSQL's is the store's QUEUED executions; test/adapters/postgres/multi-host-flow.test.ts runs the real one,
// with both limits together across three hosts).
describe("a step body waiting for its turn under a function's concurrency limit", () => {
  it("keeps its function's concurrency slot while it waits for its turn beside a branch blocked on a wait", async () => {
    const { fn: holding, ran, open } = heldKey()
    const f = firstWaitsSecondRuns(ran)
    const engine = engineOf("memory", [holding, f])
    try {
      await engine.start("holder", "holder")
      await until(() => ran.includes("holder"), "the holder's body")
      await engine.use((e) => e.start({ functionName: "f", executionId: "first", input: "first" }))
      await sleep(50)
      await engine.use((e) => e.start({ functionName: "f", executionId: "second", input: "second" }))
      await sleep(50)
      assert.deepStrictEqual(ran, ["holder"], "the second start waits for the slot the first holds")
      open()
      assert.strictEqual((await engine.use((e) => e.awaitEnd("second"))).status, "SUCCEEDED")
      assert.deepStrictEqual(ran, ["holder", "first", "second"], "the first's body ran with its turn; then it gave the slot up for its wait")
    } finally {
      await engine.dispose()
    }
  })

  it("paused while it waits, gives the slot back once its turn came and went back (blocked on its wait only)", async () => {
    const { fn: holding, ran, open } = heldKey()
    const f = firstWaitsSecondRuns(ran)
    const engine = engineOf("memory", [holding, f])
    try {
      await engine.start("holder", "holder")
      await until(() => ran.includes("holder"), "the holder's body")
      await engine.use((e) => e.start({ functionName: "f", executionId: "first", input: "first" }))
      await blockedOnItsWait(engine, "first")
      await engine.use((e) => e.pause("first"))
      await sleep(50) // past the slot's own bounded re-checks (slot-release.ts): only the turn's end looks again
      open() // its turn comes while it is paused: given back
      await engine.use((e) => e.start({ functionName: "f", executionId: "second", input: "second" }))
      assert.strictEqual((await engine.use((e) => e.awaitEnd("second"))).status, "SUCCEEDED")
      assert.deepStrictEqual(ran, ["holder", "second"])
    } finally {
      await engine.dispose()
    }
  })

  it("whose turn cannot be asked for (the outside gate fails), gives the slot back: blocked on its wait only", async () => {
    let held = true
    let releases = 0
    const slot = {
      get held() {
        return held
      },
      acquire: () => undefined,
      release: () => {
        if (held) releases++
        held = false
      }
    }
    const f = durable("f", async (_: string, ctx) => {
      await Promise.all([ctx.wait("long", { hours: 1 }), ctx.step("limited", async () => 1, { concurrencyKey: "api", limit: 1 }).catch(() => undefined)])
    }, { concurrency: 1 })
    const unreachable = () => sleep(50).then(() => Promise.reject(new Error("the flow object is unreachable")))
    const engine = engineOf("memory", [f], makeMemoryStore(), { externalFlow: { slot: () => slot, stepLimit: unreachable } })
    try {
      await engine.start("x", "x")
      await until(() => releases === 1, "the slot given back")
    } finally {
      await engine.dispose()
    }
  })

  it("finding its slot gone when its turn comes, gives the turn back first, and runs once it holds both again", async () => {
    const log: Array<string> = []
    let held = true
    let giveSlot!: () => void
    const slot = {
      get held() {
        return held
      },
      acquire: () => (held ? undefined : new Promise<void>((resolve) => (giveSlot = () => (held = true, log.push("slot"), resolve())))),
      release: () => void (held = false)
    }
    let turns = 0
    let giveTurn!: () => void
    const stepLimit = () => {
      const turn = ++turns
      log.push(`ask ${turn}`)
      const release = () => void log.push(`release ${turn}`)
      return turn === 1 ? new Promise<() => void>((resolve) => (giveTurn = () => resolve(release))) : Promise.resolve(release)
    }
    const f = durable("f", async (_: string, ctx) => {
      await ctx.step("limited", async () => void log.push("body"), { concurrencyKey: "api", limit: 1 })
    }, { concurrency: 1 })
    const engine = engineOf("memory", [f], makeMemoryStore(), { externalFlow: { slot: () => slot, stepLimit } })
    try {
      await engine.start("x", "x")
      await until(() => turns === 1, "the turn asked for")
      held = false // the slot lost meanwhile (the actor keeps it while a turn is awaited; this path is the guard)
      giveTurn()
      await until(() => giveSlot !== undefined, "the slot asked for")
      assert.deepStrictEqual(log, ["ask 1", "release 1"], "no turn is held while the slot is awaited")
      giveSlot()
      assert.strictEqual((await engine.use((e) => e.awaitEnd("x"))).status, "SUCCEEDED")
      assert.deepStrictEqual(log, ["ask 1", "release 1", "slot", "ask 2", "body", "release 2"])
    } finally {
      await engine.dispose()
    }
  })
})
