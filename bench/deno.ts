/**
 * The Deno adapter's benchmark (issue 7), beside the Node adapter's figures from the same run:
 * - 1,000 sequential trivial steps on the engine over Deno KV (a file, and in memory to show what the file's
 *   commits cost), and over Node's SQLite file (NORMAL);
 * - the same 1,000 single-event appends straight to each store (what the store costs without the engine);
 * - 200 executions of 10 steps started at once on the engine over each store (issue 13's W2; group commit shares
 *   KV commits among them, so the Deno KV store also runs with `groupCommit: false` beside it);
 * - under deno, the same on a SQLite file through Deno's node:sqlite (reprise/deno's `serve({ dbPath })`);
 * - the callback round trip over HTTP: POST /v1/callbacks/:id/succeed until the function has handed out its next
 *   callback id (the completion durable, the handler resumed, the next callback and its submitter step written),
 *   on Deno.serve + KV and on node:http + SQLite.
 * Prints a table; never part of `npm test`. Run it with Node (it runs itself under deno for the Deno column):
 *   node bench/deno.ts
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { Engine } from "../src/engine/engine.ts"
import type { DurableFunction } from "../src/engine/registry.ts"
import { durable } from "../src/index.ts"
import { startedLog, stepSucceeded } from "../src/store/conformance-events.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../src/store/execution-store.ts"

const STEPS = 1_000
const STEP_RUNS = 9
const ROUND_TRIPS = 300
const CONCURRENT = 200
const CONCURRENT_STEPS = 10
const CONCURRENT_RUNS = 5
const WARMUP = 2

interface Row {
  readonly runtime: string
  readonly workload: string
  readonly store: string
  readonly median: number
  readonly best: number
  readonly unit: string
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const sequential = durable("sequential", async (n: number, ctx) => {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ctx.step(async () => i)
  return sum
})

/** Ids handed out by the function, taken by the benchmark's client in order. */
const makeChannel = () => {
  const ids: Array<string> = []
  let wake: (() => void) | undefined
  return {
    push: (id: string) => {
      ids.push(id)
      wake?.()
    },
    next: async (): Promise<string> => {
      for (let i = 0; ids.length === 0; i++) {
        if (i > 100) throw new Error("no callback id came")
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 100)
        })
      }
      return ids.shift()!
    }
  }
}

const pingPong = (channel: ReturnType<typeof makeChannel>) =>
  durable("ping-pong", async (n: number, ctx) => {
    for (let i = 0; i < n; i++) await ctx.waitForCallback(`cb-${i}`, async (id) => channel.push(id))
    return n
  })

/** STEPS steps of one execution on the engine over `store`, STEP_RUNS times after WARMUP; us per step. */
const stepsOn = async (store: ExecutionStoreShape): Promise<Array<number>> => {
  const runtime = ManagedRuntime.make(Engine.layer({ functions: [sequential] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  const times: Array<number> = []
  try {
    for (let run = 0; run < WARMUP + STEP_RUNS; run++) {
      const executionId = `bench-steps-${run}-${Date.now()}`
      const t0 = performance.now()
      await runtime.runPromise(Engine.use((e) => e.start({ functionName: "sequential", input: STEPS, executionId })))
      const view = await runtime.runPromise(Engine.use((e) => e.awaitEnd(executionId)))
      const ms = performance.now() - t0
      if (view.status !== "SUCCEEDED") throw new Error(`execution ${executionId}: ${view.status}`)
      if (run >= WARMUP) times.push((ms * 1000) / STEPS)
    }
  } finally {
    await runtime.dispose()
  }
  return times
}

/** CONCURRENT executions of CONCURRENT_STEPS steps started at once, CONCURRENT_RUNS times after one warm-up; exec/s. */
const concurrentOn = async (store: ExecutionStoreShape): Promise<Array<number>> => {
  const runtime = ManagedRuntime.make(Engine.layer({ functions: [sequential] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  const rates: Array<number> = []
  try {
    for (let run = 0; run < 1 + CONCURRENT_RUNS; run++) {
      const t0 = performance.now()
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) =>
        runtime.runPromise(Engine.use((e) =>
          Effect.flatMap(e.start({ functionName: "sequential", input: CONCURRENT_STEPS, executionId: `bench-w2-${run}-${i}-${Date.now()}` }), ({ executionId }) =>
            Effect.flatMap(e.awaitEnd(executionId), (view) =>
              view.status === "SUCCEEDED" ? Effect.void : Effect.die(new Error(`execution ${executionId}: ${view.status}`))))))))
      if (run >= 1) rates.push(CONCURRENT / ((performance.now() - t0) / 1000))
    }
  } finally {
    await runtime.dispose()
  }
  return rates
}

/** STEPS single-event appends straight to the store; us per append. */
const appendsOn = async (store: ExecutionStoreShape): Promise<Array<number>> => {
  const times: Array<number> = []
  for (let run = 0; run < WARMUP + STEP_RUNS; run++) {
    const id = `bench-bare-${run}-${Date.now()}`
    await Effect.runPromise(store.append(id, startedLog(id, { functionName: "bare", at: 1, length: 1 }), 0))
    const t0 = performance.now()
    for (let seq = 2; seq <= STEPS + 1; seq++) await Effect.runPromise(store.append(id, [stepSucceeded(seq, seq)], seq - 1))
    if (run >= WARMUP) times.push(((performance.now() - t0) * 1000) / STEPS)
  }
  return times
}

/** Callback round trips over HTTP against a server at `url` serving `pingPong(channel)`; us per round trip. */
const roundTrips = async (url: string, channel: ReturnType<typeof makeChannel>): Promise<Array<number>> => {
  const rounds = WARMUP * 10 + ROUND_TRIPS
  const started = await fetch(`${url}/v1/functions/ping-pong/executions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: rounds + 1 })
  })
  if (started.status !== 201) throw new Error(`start: ${started.status} ${await started.text()}`)
  let id = await channel.next()
  const times: Array<number> = []
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now()
    const done = await fetch(`${url}/v1/callbacks/${encodeURIComponent(id)}/succeed`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ result: String(i) })
    })
    await done.arrayBuffer()
    if (done.status !== 204) throw new Error(`callback: ${done.status}`)
    id = await channel.next()
    if (i >= WARMUP * 10) times.push((performance.now() - t0) * 1000)
  }
  return times
}

const row = (runtime: string, workload: string, store: string, unit: string, xs: ReadonlyArray<number>): Row =>
  ({ runtime, workload, store, median: median(xs), best: unit === "exec/s" ? Math.max(...xs) : Math.min(...xs), unit })

const WORKLOADS = {
  steps: `${STEPS.toLocaleString("en")} sequential steps (engine)`,
  appends: `${STEPS.toLocaleString("en")} single-event appends (store only)`,
  callbacks: "callback round trip over HTTP",
  concurrent: `${CONCURRENT} executions of ${CONCURRENT_STEPS} steps at once (engine)`
}

/** Under deno: the Deno KV figures, printed as one JSON line for the Node side. */
const denoSide = async (dir: string): Promise<Array<Row>> => {
  const { openDenoKvStore } = await import("../adapters/deno/kv-store.ts")
  const { serve } = await import("../adapters/deno/serve.ts")
  const version = (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno
  const runtime = `deno ${version}`
  const rows: Array<Row> = []
  const stepsStore = await openDenoKvStore(`${dir}/steps.kv`)
  rows.push(row(runtime, WORKLOADS.steps, "Deno KV (file)", "us/step", await stepsOn(stepsStore)))
  stepsStore.close()
  const memoryStore = await openDenoKvStore(":memory:")
  rows.push(row(runtime, WORKLOADS.steps, "Deno KV (:memory:)", "us/step", await stepsOn(memoryStore)))
  memoryStore.close()
  const bareStore = await openDenoKvStore(`${dir}/bare.kv`)
  rows.push(row(runtime, WORKLOADS.appends, "Deno KV (file)", "us/append", await appendsOn(bareStore)))
  bareStore.close()
  for (const groupCommit of [true, false]) {
    const concurrentStore = await openDenoKvStore(`${dir}/concurrent-${groupCommit}.kv`, { groupCommit })
    rows.push(row(runtime, WORKLOADS.concurrent, `Deno KV (file)${groupCommit ? "" : ", groupCommit: false"}`, "exec/s", await concurrentOn(concurrentStore)))
    concurrentStore.close()
  }
  const channel = makeChannel()
  const server = await serve({ functions: [pingPong(channel) as DurableFunction], kvPath: `${dir}/http.kv`, port: 0, handleSignals: false })
  try {
    rows.push(row(runtime, WORKLOADS.callbacks, "Deno.serve + KV", "us/round trip", await roundTrips(server.url, channel)))
  } finally {
    await server.close()
  }
  // The same on a SQLite file through Deno's node:sqlite (serve({ dbPath }), self-hosted Deno).
  const { openSqliteStore } = await import("../adapters/node/sqlite-store.ts")
  const sqliteSteps = await Effect.runPromise(openSqliteStore({ path: `${dir}/steps.db`, synchronous: "NORMAL" }))
  rows.push(row(runtime, WORKLOADS.steps, "SQLite NORMAL (file)", "us/step", await stepsOn(sqliteSteps)))
  sqliteSteps.close()
  const sqliteConcurrent = await Effect.runPromise(openSqliteStore({ path: `${dir}/concurrent.db`, synchronous: "NORMAL" }))
  rows.push(row(runtime, WORKLOADS.concurrent, "SQLite NORMAL (file)", "exec/s", await concurrentOn(sqliteConcurrent)))
  sqliteConcurrent.close()
  const sqliteChannel = makeChannel()
  const sqliteServer = await serve({ functions: [pingPong(sqliteChannel) as DurableFunction], dbPath: `${dir}/http.db`, port: 0, handleSignals: false })
  try {
    rows.push(row(runtime, WORKLOADS.callbacks, "Deno.serve + SQLite", "us/round trip", await roundTrips(sqliteServer.url, sqliteChannel)))
  } finally {
    await sqliteServer.close()
  }
  return rows
}

/** Under Node: the SQLite figures, then the Deno ones from a deno process, in one table. */
const nodeSide = async (): Promise<void> => {
  const { mkdtempSync, rmSync } = await import("node:fs")
  const { tmpdir } = await import("node:os")
  const { join } = await import("node:path")
  const { spawnSync } = await import("node:child_process")
  const { openSqliteStore } = await import("../adapters/node/sqlite-store.ts")
  const { serve } = await import("../adapters/node/serve.ts")
  const dir = mkdtempSync(join(tmpdir(), "reprise-bench-deno-"))
  const runtime = `node ${process.versions.node}`
  const rows: Array<Row> = []
  try {
    const denoRun = spawnSync(join(import.meta.dirname, "../node_modules/.bin/deno"), [
      "run", "-A", "--config", join(import.meta.dirname, "../adapters/deno/deno.json"), import.meta.filename, "--deno", dir
    ], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" }, timeout: 600_000 })
    const line = denoRun.stdout.split("\n").find((l) => l.startsWith("ROWS "))
    if (denoRun.status !== 0 || line === undefined) throw new Error(`the deno side failed (${denoRun.status}):\n${denoRun.stdout}\n${denoRun.stderr}`)
    const denoRows = JSON.parse(line.slice(5)) as Array<Row>

    const stepsStore = await Effect.runPromise(openSqliteStore({ path: join(dir, "steps.db"), synchronous: "NORMAL" }))
    rows.push(row(runtime, WORKLOADS.steps, "SQLite NORMAL (file)", "us/step", await stepsOn(stepsStore)))
    stepsStore.close()
    const bareStore = await Effect.runPromise(openSqliteStore({ path: join(dir, "bare.db"), synchronous: "NORMAL" }))
    rows.push(row(runtime, WORKLOADS.appends, "SQLite NORMAL (file)", "us/append", await appendsOn(bareStore)))
    bareStore.close()
    const concurrentStore = await Effect.runPromise(openSqliteStore({ path: join(dir, "concurrent.db"), synchronous: "NORMAL" }))
    rows.push(row(runtime, WORKLOADS.concurrent, "SQLite NORMAL (file)", "exec/s", await concurrentOn(concurrentStore)))
    concurrentStore.close()
    const channel = makeChannel()
    const server = await serve({ functions: [pingPong(channel) as DurableFunction], dbPath: join(dir, "http.db"), port: 0, handleSignals: false })
    try {
      rows.push(row(runtime, WORKLOADS.callbacks, "node:http + SQLite", "us/round trip", await roundTrips(server.url, channel)))
    } finally {
      await server.close()
    }
    const all = [...denoRows, ...rows].sort((a, b) => a.workload.localeCompare(b.workload) || a.runtime.localeCompare(b.runtime))
    console.table(all.map((r) => ({
      workload: r.workload,
      runtime: r.runtime,
      store: r.store,
      median: r.median.toFixed(1),
      best: r.best.toFixed(1),
      unit: r.unit
    })))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const args = (globalThis as unknown as { Deno?: { args: ReadonlyArray<string> } }).Deno?.args
if (args !== undefined) {
  if (args[0] !== "--deno" || args[1] === undefined) throw new Error("run this benchmark with node: node bench/deno.ts")
  console.log(`ROWS ${JSON.stringify(await denoSide(args[1]))}`)
} else {
  await nodeSide()
}
