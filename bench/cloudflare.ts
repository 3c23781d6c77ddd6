/**
 * Reprise on Cloudflare (Durable Objects) against Cloudflare Workflows, both in the same Miniflare (workerd) and
 * driven the same way: one request from Node per measured unit, to a /bench route that runs it inside workerd.
 * Round trips and the cold resume are timed inside workerd (its clock moves at I/O, to the millisecond), the rest
 * around the request from Node. Opt-in (`node bench/cloudflare.ts`); prints a table. Workflows completion is polled every 2 ms; Reprise
 * waits for the end through its API (`?wait`).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { convertV4MiniflareOptions, Miniflare } from "miniflare"

const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const STEPS = size("BENCH_STEPS", 1000)
const ROUND_TRIPS = size("BENCH_ROUND_TRIPS", 20)
const FANOUT = size("BENCH_FANOUT", 200)
const FANOUT_STEPS = 10

const work = mkdtempSync(join(tmpdir(), "reprise-bench-cf-"))
const scriptPath = join(work, "worker.mjs")
await build({
  entryPoints: [fileURLToPath(new URL("./cloudflare-worker.ts", import.meta.url))],
  outfile: scriptPath,
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["reprise-source", "workerd", "worker", "browser"], // bundle the sources (see vitest.config.ts)
  mainFields: ["module", "main"],
  external: ["cloudflare:*"],
  logLevel: "warning"
})

const start = (persist: string) =>
  new Miniflare(convertV4MiniflareOptions({
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: "2026-11-01",
    durableObjects: {
      EXECUTIONS: { className: "ExecutionObject", useSQLite: true },
      EXECUTION_INDEX: { className: "IndexObject", useSQLite: true }
    },
    workflows: { FLOW: { name: "bench-flow", className: "BenchFlow" } },
    bindings: { REPRISE_API_KEY: "bench", REPRISE_CALLBACK_SECRET: "bench-secret" },
    resourcePersistencePath: persist
  }))

let mf = start(join(work, "data"))
let counter = 0
const unique = (label: string) => `${label}-${++counter}`

const route = async (path: string, query: Record<string, string | number>) => {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))
  const res = await mf.dispatchFetch(`http://bench${path}?${qs}`, { method: "POST" })
  const body = (await res.json()) as { value?: unknown; error?: string }
  if (res.status !== 200) throw new Error(`${path}: ${body.error}`)
  return body.value
}

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now()
  await run()
  return performance.now() - t0
}


type System = "reprise" | "wf"
const systems: ReadonlyArray<System> = ["reprise", "wf"]

const sequential = (system: System, n: number) =>
  timed(() => route(`/bench/${system}/run`, system === "reprise" ? { fn: "steps", name: unique("seq"), n } : { name: unique("seq"), n }))

const prepare = (system: System, name: string, n: number) => route(`/bench/${system}/prepare`, { name, n })
/** Completes the callback (sends the event) and waits for the end; timed inside workerd, without Node's hop. */
const complete = async (system: System, name: string, n: number, cb: unknown) =>
  Number(await route(`/bench/${system}/complete`, system === "reprise" ? { name, n, cb: String(cb) } : { name }))

const results: Record<string, Record<System, number>> = {}
const record = (workload: string, system: System, ms: number) => {
  console.error(`  ${system === "wf" ? "workflows" : system}: ${workload}: ${ms.toFixed(1)}`)
  results[workload] ??= { reprise: Number.NaN, wf: Number.NaN }
  results[workload][system] = ms
}

try {
  for (const system of systems) await sequential(system, 10) // warm up both
  for (const system of systems) record(`${STEPS} sequential steps, one execution (ms)`, system, await sequential(system, STEPS))

  for (const system of systems) {
    const trips: Array<number> = []
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const name = unique("rt")
      const cb = await prepare(system, name, 0)
      trips.push(await complete(system, name, 0, cb))
    }
    record(`callback / event round trip, mean of ${ROUND_TRIPS} (ms)`, system, trips.reduce((a, b) => a + b, 0) / trips.length)
  }

  for (const system of systems) {
    record(`${FANOUT} executions x ${FANOUT_STEPS} steps, started together (ms)`, system, await timed(() =>
      route(`/bench/${system}/fanout`, { name: unique("fan"), count: FANOUT, n: FANOUT_STEPS })))
  }

  // Resume after a 1,000-step history: prepared, then workerd restarted on the same storage (nothing in memory).
  const waiting: Record<System, { name: string; cb: unknown }> = {} as never
  for (const system of systems) {
    const name = unique("resume")
    waiting[system] = { name, cb: await prepare(system, name, STEPS) }
  }
  await mf.dispose()
  mf = start(join(work, "data"))
  await mf.dispatchFetch("http://bench/healthz")
  for (const system of systems) {
    record(`resume after a ${STEPS}-step history, cold (ms)`, system, await complete(system, waiting[system].name, STEPS, waiting[system].cb))
  }

  const rows = Object.entries(results).map(([workload, r]) => ({
    workload,
    reprise: r.reprise.toFixed(1),
    workflows: r.wf.toFixed(1),
    "workflows / reprise": `${(r.wf / r.reprise).toFixed(1)}x`
  }))
  const perStep = results[`${STEPS} sequential steps, one execution (ms)`]!
  rows.push({ workload: "per step (ms)", reprise: (perStep.reprise / STEPS).toFixed(3), workflows: (perStep.wf / STEPS).toFixed(3), "workflows / reprise": `${(perStep.wf / perStep.reprise).toFixed(1)}x` })
  console.log(`Reprise (Durable Objects) vs Cloudflare Workflows, same Miniflare ${(await import("miniflare/package.json", { with: { type: "json" } }).catch(() => ({ default: { version: "?" } }))).default.version}`)
  console.table(rows)
} finally {
  await mf.dispose()
  rmSync(work, { recursive: true, force: true })
}
