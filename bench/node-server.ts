/**
 * The Node server's benchmarks (issue: Node adapter). Prints a table; not part of `npm test`.
 *   node bench/node-server.ts            (add --suspended=100000 to change the suspended-executions count)
 * Runs a real server (reprise/node) on 127.0.0.1 and a temporary SQLite file, and talks to it over HTTP.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
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
const server = await serve({ functions: [tenSteps, ping, sleeper], dbPath: join(dir, "bench.db"), port: 0, handleSignals: false, evictEveryMs: 1000 })
const rows: Array<Record<string, string>> = []
const post = (path: string, body: unknown) =>
  fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

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

  // Callback round trip: from the completion request to the function holding the result.
  const rounds = 300
  const started = await (await post("/v1/functions/ping/executions", { input: rounds, executionName: "ping-1" })).json() as { executionId: string }
  const times: Array<number> = []
  for (let i = 0; i < rounds; i++) {
    let callbackId: string | undefined
    for (let tries = 0; tries < 2000 && callbackId === undefined; tries++) {
      const view = await server.engine((e) => e.describe(started.executionId))
      callbackId = view.operations.find((op) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId
      if (callbackId === undefined) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    if (callbackId === undefined) throw new Error("no callback appeared")
    const reached = new Promise<void>((resolve) => signals.set(started.executionId, resolve))
    const t0 = performance.now()
    const response = await post(`/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { result: "pong" })
    if (response.status !== 204) throw new Error(`callback completion answered ${response.status}`)
    await reached
    times.push(performance.now() - t0)
  }
  const measured = times.slice(20) // the first rounds warm the JIT up
  rows.push({ workload: "callback round trip over HTTP (completion -> result in the function)", result: `median ${quantile(measured, 0.5).toFixed(2)} ms, p99 ${quantile(measured, 0.99).toFixed(2)} ms`, target: "median < 2 ms" })

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
  const rss = process.memoryUsage().rss / 2 ** 20
  const inMemory = await server.engine((e) => Effect.sync(() => e.actorCount()))
  rows.push({ workload: `${SUSPENDED.toLocaleString("en")} executions suspended on a wait`, result: `RSS ${rss.toFixed(0)} MB after eviction (${inMemory} actors in memory); all started in ${(startMs / 1000).toFixed(1)} s`, target: "< 300 MB" })
  await new Promise((resolve) => setTimeout(resolve, wakeAt - Date.now()))
  const t1 = performance.now()
  for (let i = 0; i < 36_000; i++) {
    if (server.store.runningExecutionIds().length === 0) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  rows.push({ workload: `... until all ${SUSPENDED.toLocaleString("en")} finished once the wait was due`, result: `${((performance.now() - t1) / 1000).toFixed(1)} s`, target: "-" })
} finally {
  console.table(rows)
  await server.close()
  rmSync(dir, { recursive: true, force: true })
}
