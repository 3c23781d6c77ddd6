/**
 * The SQLite store under the real engine (issue 4): 1,000 sequential trivial steps with synchronous=NORMAL and
 * FULL, in microseconds per step, beside the in-memory store and the bare store append, measured in the same run.
 * Runs of the configurations are interleaved, so that noise from the rest of the machine falls on all of them.
 * Prints a table; never part of `npm test`.
 *   node bench/sqlite.ts
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import { openSqliteStore, type SqliteStoreOptions } from "../adapters/node/sqlite-store.ts"
import { Engine } from "../src/engine/engine.ts"
import { durable } from "../src/index.ts"
import { startedLog, stepSucceeded } from "../src/store/conformance-events.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../src/store/execution-store.ts"
import { makeMemoryStore } from "../src/store/memory-store.ts"

const STEPS = 1_000
const WARMUP = 3
const RUNS = 11

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const sequential = durable("sequential", async (n: number, ctx) => {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ctx.step(async () => i)
  return sum
})

const dir = mkdtempSync(join(tmpdir(), "reprise-bench-"))
let ids = 0

interface Case {
  readonly workload: string
  readonly store: string
  readonly target: string
  /** One run: milliseconds for STEPS steps. */
  readonly once: () => Promise<number>
  readonly close: () => Promise<void>
}

/** STEPS steps of one execution on the engine over `store`. */
const engineCase = (store: string, target: string, executionStore: ExecutionStoreShape, close: () => void): Case => {
  const runtime = ManagedRuntime.make(
    Engine.layer({ functions: [sequential] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, executionStore)))
  )
  return {
    workload: `${STEPS.toLocaleString("en")} sequential steps (engine)`,
    store,
    target,
    once: async () => {
      const executionId = `bench-${++ids}`
      const t0 = performance.now()
      await runtime.runPromise(Engine.use((e) => e.start({ functionName: "sequential", input: STEPS, executionId })))
      const view = await runtime.runPromise(Engine.use((e) => e.awaitEnd(executionId)))
      const ms = performance.now() - t0
      if (view.status !== "SUCCEEDED") throw new Error(`execution ${executionId}: ${view.status}`)
      return ms
    },
    close: async () => {
      await runtime.dispose()
      close()
    }
  }
}

/** STEPS single-event appends straight to the store: what the store costs without the engine. */
const storeCase = (store: string, executionStore: ExecutionStoreShape, close: () => void): Case => ({
  workload: `${STEPS.toLocaleString("en")} single-event appends (store only)`,
  store,
  target: "-",
  once: async () => {
    const id = `bare-${++ids}`
    Effect.runSync(executionStore.append(id, startedLog(id, { functionName: "bare", at: 1, length: 1 }), 0))
    const t0 = performance.now()
    for (let seq = 2; seq <= STEPS + 1; seq++) Effect.runSync(executionStore.append(id, [stepSucceeded(seq, seq)], seq - 1))
    return performance.now() - t0
  },
  close: async () => close()
})

const sqlite = (name: string, options: Omit<SqliteStoreOptions, "path">) =>
  Effect.runPromise(openSqliteStore({ path: join(dir, `${name}.db`), ...options }))

try {
  const normal = await sqlite("normal", { synchronous: "NORMAL" })
  const exclusive = await sqlite("exclusive", { synchronous: "NORMAL", locking: "exclusive" })
  const full = await sqlite("full", { synchronous: "FULL" })
  const bareNormal = await sqlite("bare-normal", { synchronous: "NORMAL" })
  const bareFull = await sqlite("bare-full", { synchronous: "FULL" })
  const cases: Array<Case> = [
    engineCase("memory", "baseline", makeMemoryStore(), () => {}),
    engineCase("sqlite NORMAL", "<= 60 us/step", normal, () => normal.close()),
    engineCase("sqlite NORMAL, exclusive lock", "-", exclusive, () => exclusive.close()),
    engineCase("sqlite FULL", "-", full, () => full.close()),
    storeCase("sqlite NORMAL", bareNormal, () => bareNormal.close()),
    storeCase("sqlite FULL", bareFull, () => bareFull.close())
  ]
  const times = cases.map((): Array<number> => [])
  for (let run = 0; run < WARMUP + RUNS; run++) {
    for (let i = 0; i < cases.length; i++) {
      const ms = await cases[i]!.once()
      if (run >= WARMUP) times[i]!.push(ms)
    }
  }
  for (const c of cases) await c.close()
  console.table(cases.map((c, i) => {
    const ms = median(times[i]!)
    return {
      workload: c.workload,
      store: c.store,
      "median ms": ms.toFixed(2),
      "us per step": ((ms * 1000) / STEPS).toFixed(1),
      "best us per step": ((Math.min(...times[i]!) * 1000) / STEPS).toFixed(1),
      target: c.target
    }
  }))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
