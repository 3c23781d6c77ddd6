/**
 * What flow control costs on Cloudflare (docs/flow-control.md): N one-step executions started one after another over
 * HTTP (Miniflare's dispatchFetch), then awaited, for a function without limits ("free"), one whose limit is never
 * reached ("roomy": concurrency 1000, every start goes through its FlowObject and runs at once) and one that queues
 * ("tight": concurrency 5). Rounds alternate between the variants. Opt-in: `npm run bench:cloudflare-flow`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { convertV4MiniflareOptions, Miniflare } from "miniflare"
import { bundleTo } from "../test/adapters/cloudflare/miniflare-fixture.ts"

const N = Number(process.env.BENCH_N ?? 60)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const work = mkdtempSync(join(tmpdir(), "reprise-bench-cf-flow-"))
const scriptPath = join(work, "worker.mjs")
await bundleTo(fileURLToPath(new URL("./cloudflare-flow-worker.ts", import.meta.url)), scriptPath)
const mf = new Miniflare(convertV4MiniflareOptions({
  modules: true,
  scriptPath,
  modulesRoot: dirname(scriptPath),
  compatibilityDate: "2026-11-01",
  durableObjects: {
    EXECUTIONS: { className: "ExecutionObject", useSQLite: true },
    EXECUTION_INDEX: { className: "IndexObject", useSQLite: true },
    FLOW_CONTROL: { className: "FlowObject", useSQLite: true }
  },
  bindings: { REPRISE_API_KEY: "bench", REPRISE_CALLBACK_SECRET: "bench-secret", REPRISE_LOG_LEVEL: "none" }
}))

const start = async (fn: string, id: string, wait?: number) => {
  const res = await mf.dispatchFetch(`http://bench/v1/functions/${fn}/executions${wait === undefined ? "" : `?wait=${wait}`}`, {
    method: "POST",
    headers: { authorization: "Bearer bench", "content-type": "application/json" },
    body: JSON.stringify({ input: { n: 1 }, executionName: id })
  })
  const body = (await res.json()) as { status?: string }
  if (res.status >= 300) throw new Error(`${fn} ${id}: ${res.status} ${JSON.stringify(body)}`)
  return body
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const results = new Map<string, { startMs: Array<number>; totalMs: Array<number> }>()
let round = 0
for (let r = 0; r < ROUNDS; r++) {
  for (const fn of r % 2 === 0 ? ["free", "roomy", "tight"] : ["tight", "roomy", "free"]) {
    round++
    const ids = Array.from({ length: N }, (_, i) => `${fn}-${round}-${i}`)
    const began = performance.now()
    const latencies: Array<number> = []
    for (const id of ids) {
      const t = performance.now()
      await start(fn, id)
      latencies.push(performance.now() - t)
    }
    // A repeat of the start with ?wait answers once the execution has ended.
    for (const id of ids) {
      const done = await start(fn, id, 60)
      if (done.status !== "SUCCEEDED") throw new Error(`${id}: ${done.status}`)
    }
    const entry = results.get(fn) ?? { startMs: [], totalMs: [] }
    entry.startMs.push(median(latencies))
    entry.totalMs.push(performance.now() - began)
    results.set(fn, entry)
  }
}
console.log(`${N} one-step executions per round, ${ROUNDS} rounds per variant (alternating)`)
console.log("| function | median start (ms), per round | all ended (ms), per round |")
console.log("|---|---|---|")
for (const [fn, { startMs, totalMs }] of results) {
  console.log(`| ${fn} | ${startMs.map((x) => x.toFixed(1)).join(", ")} | ${totalMs.map((x) => x.toFixed(0)).join(", ")} |`)
}
await mf.dispose()
rmSync(work, { recursive: true, force: true })
