/**
 * The Node server's benchmarks (issue: Node adapter). Prints a table; not part of `npm test`.
 *   npm run bench:node                   (node --expose-gc bench/node-server.ts [--suspended=100000])
 * Most of the process's resident memory is V8's (its young generation, and the page pool a burst leaves), not
 * the suspended executions': compare "JS heap used" before and after, and the RSS after a last-resort GC, which
 * gives the pool back; `npm run bench:node` passes `--max-semi-space-size=2`, which shrinks RSS (and measured
 * faster here).
 * Runs a real server (reprise/node) on 127.0.0.1 and a temporary SQLite file, and talks to it over HTTP.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { Agent, request } from "node:http"
import { join } from "node:path"
import { Effect } from "effect"
import { EngineProbe } from "../src/testing/index.ts"
import { durable } from "../src/index.ts"
import { serve } from "../adapters/node/serve.ts"

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback)
const SUSPENDED = arg("suspended", 100_000)
const quantile = (xs: Array<number>, q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!

const signals = new Map<string, () => void>()
const tenSteps = durable("ten-steps", async (_: unknown, ctx) => {
  let sum = 0
  for (let i = 0; i < 10; i++) sum += await ctx.step(async () => i)
  return sum
})
const ping = durable("ping", async (rounds: number, ctx) => {
  for (let i = 0; i < rounds; i++) {
    await ctx.waitForCallback(`ping-${i}`, async () => undefined)
    signals.get(ctx.executionId)?.() // the result has reached the function
  }
  return rounds
})
const sleeper = durable("sleeper", async (until: number, ctx) => {
  await ctx.wait("until", new Date(until))
  return "woke"
})

const dir = mkdtempSync(join(tmpdir(), "reprise-bench-"))
const server = await serve({ functions: [tenSteps, ping, sleeper], dbPath: join(dir, "bench.db"), port: 0, handleSignals: false, evictEveryMs: 3_600_000 })
const rows: Array<Record<string, string>> = []
const post = (path: string, body: unknown) =>
  fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
/** A keep-alive node:http client: lighter than fetch, which shares this process's event loop with the server. */
const agent = new Agent({ keepAlive: true })
const rawPost = (path: string, body: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(server.url + path, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("error", reject)
    req.end(body)
  })

try {
  // 200 executions of 10 steps, started together over HTTP, each answered when it has finished (?wait).
  for (const round of ["warm-up", "measured"]) {
    const t0 = performance.now()
    const responses = await Promise.all(Array.from({ length: 200 }, () => post("/v1/functions/ten-steps/executions?wait=60", {})))
    const views = await Promise.all(responses.map((r) => r.json() as Promise<{ status: string }>))
    const ms = performance.now() - t0
    if (views.some((v) => v.status !== "SUCCEEDED")) throw new Error("an execution did not succeed")
    if (round === "measured") rows.push({ workload: "200 executions x 10 steps, started together over HTTP", result: `${(200 / (ms / 1000)).toFixed(0)} executions/s (${ms.toFixed(0)} ms)`, target: "-" })
  }

  // Callback round trip: from the completion request to the function holding the result; with the waiting
  // actor kept in memory (warm), and evicted before each completion (cold: load, replay, then deliver).
  for (const mode of ["warm", "cold"] as const) {
    const rounds = 200
    const started = await (await post("/v1/functions/ping/executions", { input: rounds, executionName: `ping-${mode}` })).json() as { executionId: string }
    const times: Array<number> = []
    for (let i = 0; i < rounds; i++) {
      let callbackId: string | undefined
      for (let tries = 0; tries < 2000 && callbackId === undefined; tries++) {
        const view = await server.engine((e) => e.describe(started.executionId))
        callbackId = view.operations.find((op) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId
        if (callbackId === undefined) await new Promise((resolve) => setTimeout(resolve, 1))
      }
      if (callbackId === undefined) throw new Error("no callback appeared")
      if (mode === "cold") await server.engine((e) => e.evictIdle())
      const reached = new Promise<void>((resolve) => signals.set(started.executionId, resolve))
      const t0 = performance.now()
      const status = await rawPost(`/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, `{"result":"pong"}`)
      if (status !== 204) throw new Error(`callback completion answered ${status}`)
      await reached
      times.push(performance.now() - t0)
    }
    const measured = times.slice(20) // the first rounds warm the JIT up
    rows.push({
      workload: `callback round trip over HTTP, ${mode === "warm" ? "actor in memory" : "actor evicted (replays up to 200 rounds)"}`,
      result: `median ${quantile(measured, 0.5).toFixed(2)} ms, p99 ${quantile(measured, 0.99).toFixed(2)} ms`,
      target: mode === "warm" ? "median < 2 ms" : "-"
    })
  }

  ;(globalThis as { gc?: () => void }).gc?.()
  const rssBase = process.memoryUsage().rss / 2 ** 20
  const heapBase = process.memoryUsage().heapUsed / 2 ** 20
  rows.push({ workload: "resident memory before the suspended executions", result: `RSS ${rssBase.toFixed(0)} MB, JS heap used ${heapBase.toFixed(0)} MB`, target: "-" })
  // Suspended executions: all wait until the same instant, far enough ahead for all of them to start.
  const pilot = performance.now()
  for (let j = 0; j < 500; j++) await server.engine((e) => e.start({ functionName: "sleeper", input: Date.now() + 3_600_000, executionId: `pilot-${j}` }))
  const perStartMs = (performance.now() - pilot) / 500
  await Promise.all(Array.from({ length: 500 }, (_, j) => server.engine((e) => e.stop(`pilot-${j}`))))
  const wakeAt = Date.now() + Math.max(20_000, SUSPENDED * perStartMs * 2 + 10_000)
  const t0 = performance.now()
  for (let i = 0; i < SUSPENDED; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, SUSPENDED - i) }, (_, j) =>
      server.engine((e) => e.start({ functionName: "sleeper", input: wakeAt, executionId: `s-${i + j}` }))))
    await server.engine((e) => e.evictIdle())
  }
  await server.engine((e) => e.evictIdle())
  const startMs = performance.now() - t0
  if (Date.now() >= wakeAt) throw new Error("starting took longer than planned: the wait fell due before every execution had started")
  ;(globalThis as { gc?: () => void }).gc?.()
  const memory = process.memoryUsage()
  const rss = memory.rss / 2 ** 20
  const inMemory = await server.engine(() => EngineProbe.use((p) => Effect.sync(() => p.actorCount())))
  rows.push({ workload: `${SUSPENDED.toLocaleString("en")} executions suspended on a wait`, result: `RSS ${rss.toFixed(0)} MB, JS heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MB of ${(memory.heapTotal / 2 ** 20).toFixed(0)} MB, after eviction (${inMemory} actors in memory); all started in ${(startMs / 1000).toFixed(1)} s`, target: "< 300 MB" })
  // Most of that RSS is V8's page pool: pages the start burst's garbage took, kept committed for reuse and not
  // given back when the heap shrinks, even after idling (docs/engine.md, "Memory"). A last-resort GC releases it:
  // what is left is what the suspended executions and the server hold.
  ;(globalThis as { gc?: (options: object) => void }).gc?.({ type: "major", execution: "sync", flavor: "last-resort" })
  rows.push({ workload: "... the same after a last-resort GC (V8's page pool given back)", result: `RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`, target: "-" })
  await new Promise((resolve) => setTimeout(resolve, wakeAt - Date.now()))
  // Counted, not listed: listing 100,000 ids every 20 ms took an eighth of this process's CPU from the server. And
  // evicted as a server with the default options evicts (every 5 s, warm ones past 10,000): this server was
  // started with eviction off, for the manual evictions above.
  const running = server.store.database.prepare("SELECT count(*) AS n FROM executions WHERE status = 'RUNNING'")
  let lastEviction = performance.now()
  for (let i = 0; i < 36_000; i++) {
    if ((running.get() as { n: number }).n === 0) break
    if (performance.now() - lastEviction >= 5000) {
      await server.engine((e) => e.evictIdle({ keepWarmMs: 10_000, maxInMemory: 10_000 }))
      lastEviction = performance.now()
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  rows.push({ workload: `... until all ${SUSPENDED.toLocaleString("en")} finished once the wait was due`, result: `${((Date.now() - wakeAt) / 1000).toFixed(1)} s after the due time`, target: "-" })
} finally {
  console.table(rows)
  await server.close()
  rmSync(dir, { recursive: true, force: true })
}
