/**
 * Flow control's cost (issue 15), on the Node server (real SQLite file, HTTP on 127.0.0.1). Prints a table; not
 * part of `npm test`.
 *   npm run bench:flow        (node --conditions=reprise-source bench/flow.ts [--rounds=5])
 * - W2: 200 executions x 10 steps started together over HTTP (?wait), without flow control and with
 *   `concurrency: 200` (never reached: the cost is the bookkeeping), in alternating rounds; medians.
 * - Queueing cost per start: sequential starts of a function whose one slot is held (each start is queued) against
 *   starts of the same function without a limit (each runs); then the time for the queue of those executions to
 *   drain through `concurrency: 10` against the same number run without a limit.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { durable } from "../src/index.ts"
import { serve } from "../adapters/node/serve.ts"
import { createTestRunner } from "../src/testing/index.ts"

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback)
const ROUNDS = arg("rounds", 7)
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const tenSteps = async (_: unknown, ctx: Parameters<Parameters<typeof durable>[1]>[1]) => {
  let sum = 0
  for (let i = 0; i < 10; i++) sum += await ctx.step(async () => i)
  return sum
}
let release!: () => void
let held = new Promise<void>((resolve) => (release = resolve))
const oneStep = async (input: string, ctx: Parameters<Parameters<typeof durable>[1]>[1]) =>
  ctx.step("only", async () => {
    if (input === "blocker") await held
    return input
  })

const functions = [
  durable("w2-free", tenSteps),
  durable("w2-limited", tenSteps, { concurrency: 200 }),
  durable("one-free", oneStep),
  durable("one-queued", oneStep, { concurrency: 1 }),
  durable("one-ten", oneStep, { concurrency: 10 })
]

const dir = mkdtempSync(join(tmpdir(), "reprise-bench-flow-"))
const server = await serve({ functions, dbPath: join(dir, "bench.db"), port: 0, handleSignals: false, evictEveryMs: 3_600_000 })
const post = (path: string, body: unknown) =>
  fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
const rows: Array<Record<string, string>> = []
const phase = (what: string) => process.stderr.write(`bench: ${what}\n`)

/** CPU milliseconds of the process (server and client: the same for both variants), beside wall time. */
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const cpu: Record<string, Array<number>> = { "w2-free": [], "w2-limited": [] }
const w2 = async (fn: string) => {
  const c0 = cpuMs()
  const t0 = performance.now()
  const responses = await Promise.all(Array.from({ length: 200 }, () => post(`/v1/functions/${fn}/executions?wait=60`, {})))
  const views = await Promise.all(responses.map((r) => r.json() as Promise<{ status: string }>))
  if (views.some((v) => v.status !== "SUCCEEDED")) throw new Error(`${fn}: an execution did not succeed`)
  cpu[fn]?.push(cpuMs() - c0)
  return performance.now() - t0
}

/** n sequential starts (each answered once written); returns the median latency per start. */
const starts = async (fn: string, n: number, prefix: string) => {
  const times: Array<number> = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const res = await post(`/v1/functions/${fn}/executions`, { input: `${prefix}-${i}` })
    await res.arrayBuffer()
    times.push(performance.now() - t0)
    if (res.status !== 201) throw new Error(`${fn}: start answered ${res.status}`)
  }
  return median(times)
}

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 60_000; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error("timed out")
}
const countOf = async (fn: string, status: string) => {
  let count = 0
  let cursor: string | undefined
  for (let page = 0; page < 100; page++) {
    const body = await (await fetch(`${server.url}/v1/executions?function=${fn}&status=${status}&limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`)).json() as {
      executions: Array<unknown>
      nextCursor?: string
    }
    count += body.executions.length
    if (body.nextCursor === undefined) break
    cursor = body.nextCursor
  }
  return count
}

try {
  phase("W2 over HTTP")
  // W2, alternating so that drift (JIT, the file growing) falls on both.
  await w2("w2-free")
  await w2("w2-limited")
  cpu["w2-free"] = []
  cpu["w2-limited"] = []
  const free: Array<number> = []
  const limited: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    // Which goes first alternates, so that neither always runs on the heap the other left.
    if (r % 2 === 0) {
      free.push(await w2("w2-free"))
      limited.push(await w2("w2-limited"))
    } else {
      limited.push(await w2("w2-limited"))
      free.push(await w2("w2-free"))
    }
  }
  const f = median(free)
  const l = median(limited)
  rows.push({ workload: "W2: 200 x 10 steps, no flow control", "median ms": f.toFixed(0), detail: `${(200 / (f / 1000)).toFixed(0)} executions/s; rounds ${free.map((x) => x.toFixed(0)).join(" ")}` })
  const fc = median(cpu["w2-free"]!)
  const lc = median(cpu["w2-limited"]!)
  rows.push({ workload: "W2 CPU time, no flow control", "median ms": fc.toFixed(0), detail: `rounds ${cpu["w2-free"]!.map((x) => x.toFixed(0)).join(" ")}` })
  rows.push({ workload: "W2 CPU time, concurrency 200", "median ms": lc.toFixed(0), detail: `rounds ${cpu["w2-limited"]!.map((x) => x.toFixed(0)).join(" ")}; ratio ${(lc / fc).toFixed(3)}` })
  rows.push({ workload: "W2: 200 x 10 steps, concurrency 200", "median ms": l.toFixed(0), detail: `${(200 / (l / 1000)).toFixed(0)} executions/s; rounds ${limited.map((x) => x.toFixed(0)).join(" ")}; ratio ${(l / f).toFixed(3)} (target <= 1.10)` })

  phase("queued starts")
  // Queueing cost per start: the one slot is held, so each start of one-queued is queued.
  const N = 500
  await post("/v1/functions/one-queued/executions", { input: "blocker" })
  await starts("one-free", 50, "warm")
  const freeStart = await starts("one-free", N, "free")
  const queuedStart = await starts("one-queued", N, "queued")
  rows.push({ workload: `start, no flow control (${N} sequential)`, "median ms": freeStart.toFixed(3), detail: "ExecutionStarted + watchdog written, then the execution runs" })
  rows.push({ workload: `start, queued behind a held slot (${N} sequential)`, "median ms": queuedStart.toFixed(3), detail: `ExecutionStarted with queue written, no alarm; ratio ${(queuedStart / freeStart).toFixed(2)}` })
  release()
  const t0 = performance.now()
  await until(async () => (await countOf("one-queued", "SUCCEEDED")) >= N + 1)
  const drained = performance.now() - t0
  rows.push({ workload: `${N} queued executions drain, one at a time (concurrency 1)`, "median ms": drained.toFixed(0), detail: `${(drained * 1000 / N).toFixed(0)} us per execution (dequeue write + run + polling)` })

  phase("concurrency 10")
  // The same number through concurrency 10, queued first behind ten held slots, against running them free.
  held = new Promise<void>((resolve) => (release = resolve))
  for (let i = 0; i < 10; i++) await post("/v1/functions/one-ten/executions", { input: "blocker" })
  await starts("one-ten", N, "ten")
  release()
  const t1 = performance.now()
  await until(async () => (await countOf("one-ten", "SUCCEEDED")) >= N + 10)
  const drainedTen = performance.now() - t1
  rows.push({ workload: `${N} queued executions drain through concurrency 10`, "median ms": drainedTen.toFixed(0), detail: `${(drainedTen * 1000 / N).toFixed(0)} us per execution` })
  const t2 = performance.now()
  await Promise.all(Array.from({ length: N }, (_, i) => post("/v1/functions/one-free/executions?wait=60", { input: `burst-${i}` }).then((r) => r.arrayBuffer())))
  const burst = performance.now() - t2
  rows.push({ workload: `${N} executions started together, no flow control`, "median ms": burst.toFixed(0), detail: `${(burst * 1000 / N).toFixed(0)} us per execution (start to end, over HTTP)` })
  // Last: a long stretch without HTTP lets the server close the client's idle keep-alive sockets, and fetch does not
  // retry a POST on one it finds reset (ECONNRESET).
  phase("W2 in process")
  // The same W2 on the in-process engine over the in-memory store (no HTTP, no SQLite): the engine's own cost.
  const runner = createTestRunner({ functions })
  let memIds = 0
  const memW2 = async (fn: string) => {
    const c0 = cpuMs()
    const t0 = performance.now()
    const ids = Array.from({ length: 200 }, () => `mem-${fn}-${++memIds}`)
    await Promise.all(ids.map((executionId) => runner.engine((e) => e.start({ functionName: fn, executionId }))))
    const views = await Promise.all(ids.map((id) => runner.engine((e) => e.awaitEnd(id))))
    if (views.some((v) => v.status !== "SUCCEEDED")) throw new Error(`${fn} in memory: an execution did not succeed`)
    return { wall: performance.now() - t0, cpu: cpuMs() - c0 }
  }
  for (let r = 0; r < 3; r++) await memW2(r % 2 === 0 ? "w2-free" : "w2-limited")
  const memFree: Array<number> = []
  const memLimited: Array<number> = []
  for (let r = 0; r < ROUNDS * 2; r++) {
    const order = r % 2 === 0 ? ["w2-free", "w2-limited"] : ["w2-limited", "w2-free"]
    for (const fn of order) (fn === "w2-free" ? memFree : memLimited).push((await memW2(fn)).cpu)
  }
  await runner.dispose()
  const mf = median(memFree)
  const ml = median(memLimited)
  rows.push({ workload: "W2 in process (memory store), CPU, no flow control", "median ms": mf.toFixed(1), detail: `rounds ${memFree.map((x) => x.toFixed(0)).join(" ")}` })
  rows.push({ workload: "W2 in process (memory store), CPU, concurrency 200", "median ms": ml.toFixed(1), detail: `rounds ${memLimited.map((x) => x.toFixed(0)).join(" ")}; ratio ${(ml / mf).toFixed(3)}` })

  console.table(rows)
} finally {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
}
