/**
 * Reprise on Cloudflare (Durable Objects) against Cloudflare Workflows, both in the same Miniflare (workerd) and
 * driven the same way: one request from Node per measured unit, to a /bench route that runs it inside workerd.
 * Round trips and the cold resume are timed inside workerd (its clock moves at I/O, to the millisecond), the rest
 * around the request from Node. Opt-in (`npm run bench:cloudflare`); prints a table. Workflows completion is polled
 * every 2 ms; Reprise waits for the end through its API (`?wait`).
 *
 * Environment: BENCH_ONLY=seq,rt,fanout,named,engine,resume (a subset; named is W2 with keyed starts, engine the same
 * W2 on the engine in memory inside workerd, no Durable Object: what the isolate spends running it), BENCH_REPS=n
 * (repetitions, interleaved across systems; the median is shown), BENCH_STEPS, BENCH_ROUND_TRIPS, BENCH_FANOUT, BENCH_CPU_PROFILE=<file.cpuprofile> (a V8
 * profile of workerd over the measured part, through its inspector), BENCH_COMPARE=<another checkout> (its adapter,
 * e.g. the commit before a change extracted with `git archive` and node_modules linked, runs as a third system in
 * its own Miniflare, repetition by repetition interleaved with the others), BENCH_LOG_LEVEL (the main instance's
 * REPRISE_LOG_LEVEL). workerd's CPU time per execution is printed beside the wall times. With `rt`, W4's floor in the
 * same Miniflare (an object that commits one write and answers an RPC waiting on it) is timed beside W4.
 */
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { convertV4MiniflareOptions, Miniflare } from "miniflare"
import { bundleTo } from "../test/adapters/cloudflare/miniflare-fixture.ts"

const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const STEPS = size("BENCH_STEPS", 1000)
const ROUND_TRIPS = size("BENCH_ROUND_TRIPS", 20)
const FANOUT = size("BENCH_FANOUT", 200)
const REPS = size("BENCH_REPS", 1)
const ONLY = (process.env["BENCH_ONLY"] ?? "seq,rt,fanout,resume").split(",")
const PROFILE = process.env["BENCH_CPU_PROFILE"]
const COMPARE = process.env["BENCH_COMPARE"]
const FANOUT_STEPS = 10
const INSPECTOR_PORT = 9331

const work = mkdtempSync(join(tmpdir(), "reprise-bench-cf-"))
const here = fileURLToPath(new URL("./cloudflare-worker.ts", import.meta.url))

/** Bundles the bench Worker; for a comparison, this file's Worker over the other checkout's sources. */
const bundle = async (checkout: string | undefined, outfile: string) => {
  let entry = here
  if (checkout !== undefined) {
    entry = join(resolve(checkout), "bench/cloudflare-worker.ts")
    copyFileSync(here, entry) // the same routes on both sides
  }
  return bundleTo(entry, outfile)
}

/** REPRISE_LOG_LEVEL of the main instance only (BENCH_LOG_LEVEL): what the lifecycle log lines cost, beside a comparison. */
const LOG_LEVEL = process.env["BENCH_LOG_LEVEL"]

const launch = (scriptPath: string, persist: string, inspector: boolean, logLevel?: string) =>
  new Miniflare(convertV4MiniflareOptions({
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: "2026-11-01",
    durableObjects: {
      EXECUTIONS: { className: "ExecutionObject", useSQLite: true },
      EXECUTION_INDEX: { className: "IndexObject", useSQLite: true },
      FLOOR: { className: "FloorObject", useSQLite: true }
    },
    workflows: { FLOW: { name: "bench-flow", className: "BenchFlow" } },
    bindings: { REPRISE_API_KEY: "bench", REPRISE_CALLBACK_SECRET: "bench-secret", ...(logLevel === undefined ? {} : { REPRISE_LOG_LEVEL: logLevel }) },
    resourcePersistencePath: persist,
    ...(inspector ? { inspectorPort: INSPECTOR_PORT } : {})
  }))

/** The workerd processes this process started (Miniflare's children), by pid. */
const workerdPids = (): Set<number> =>
  new Set(execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" }).split("\n")
    .filter((line) => line.includes("workerd")).map((line) => Number(line.trim().split(/\s+/)[0])))

/** A process's CPU time (user + system) from /proc, in ms (Linux; clock ticks of 10 ms). */
const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** One workerd: a bundle, its storage, and the Miniflare running it (restarted for the cold resume). */
const instance = async (name: string, checkout: string | undefined) => {
  const script = await bundle(checkout, join(work, `${name}.mjs`))
  const persist = join(work, `${name}-data`)
  const inspector = PROFILE !== undefined && name === "main"
  const up = async () => {
    const known = workerdPids()
    const mf = launch(script, persist, inspector, name === "main" ? LOG_LEVEL : undefined)
    await mf.dispatchFetch("http://bench/healthz")
    const pid = [...workerdPids()].find((p) => !known.has(p))
    return { mf, pid }
  }
  const self = { ...(await up()), restart: async () => {
    await self.mf.dispose()
    Object.assign(self, await up())
  }, cpu: () => (self.pid === undefined ? Number.NaN : cpuMs(self.pid)) }
  return self
}

const main = await instance("main", undefined)
const before = COMPARE === undefined ? undefined : await instance("before", COMPARE)

interface System {
  readonly label: string
  readonly route: "reprise" | "wf" | "floor"
  readonly on: typeof main
}
const systems: ReadonlyArray<System> = [
  { label: "reprise", route: "reprise", on: main },
  ...(before === undefined ? [] : [{ label: "reprise before", route: "reprise" as const, on: before }]),
  { label: "workflows", route: "wf", on: main }
]

/** Not a system: the floor row of W4 (an object committing one write and answering a waiting RPC). */
const floor: System = { label: "floor (one commit, one RPC)", route: "floor", on: main }

let counter = 0
const unique = (label: string) => `${label}-${++counter}`

const call = async (system: System, path: string, query: Record<string, string | number>) => {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))
  const res = await system.on.mf.dispatchFetch(`http://bench/bench/${system.route}/${path}?${qs}`, { method: "POST" })
  const body = (await res.json()) as { value?: unknown; error?: string }
  if (res.status !== 200) throw new Error(`${path}: ${body.error}`)
  return body.value
}

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now()
  await run()
  return performance.now() - t0
}

/** workerd's CPU time over `run`, divided by `per` (less swayed by a busy machine than the wall clock). */
const cpuOf = async <A>(system: System, workload: string, per: number, run: () => Promise<A>): Promise<A> => {
  const cpu0 = system.on.cpu()
  const value = await run()
  record(`${workload}: workerd CPU ms per unit`, system, (system.on.cpu() - cpu0) / per)
  return value
}

const sequential = (system: System, n: number) =>
  timed(() => call(system, "run", system.route === "reprise" ? { fn: "steps", name: unique("seq"), n } : { name: unique("seq"), n }))
const prepare = (system: System, name: string, n: number) => call(system, "prepare", { name, n })
/**
 * Completes the callback (sends the event) and times until a client has the result: one already waiting (`waiter`,
 * W4), or one that asks after the completion (the cold resume). Timed inside workerd.
 */
const complete = async (system: System, name: string, n: number, cb: unknown, waiter: boolean) =>
  Number(await call(system, "complete", system.route === "reprise" ? { name, n, cb: String(cb), waiter: waiter ? 1 : 0 } : { name }))

const samples: Record<string, Record<string, Array<number>>> = {}
const record = (workload: string, system: System, value: number) => {
  console.error(`  ${system.label}: ${workload}: ${value.toFixed(1)}`)
  ;((samples[workload] ??= {})[system.label] ??= []).push(value)
}
const median = (xs: ReadonlyArray<number> | undefined) => xs === undefined ? Number.NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const SEQ = `W1 ${STEPS} sequential steps, one execution (ms)`
const RT = `W4 callback / event round trip, mean of ${ROUND_TRIPS} (ms)`
const FAN = `W2 ${FANOUT} executions x ${FANOUT_STEPS} steps, started together (ms)`
const FAN_ENGINE = `W2 on the engine in memory inside workerd (ms)`
const FAN_NAMED = `W2 with an executionName each (keyed starts) (ms)`
const RESUME = `resume after a ${STEPS}-step history, cold (ms)`

const measured = async () => {
  for (let rep = 0; rep < REPS; rep++) {
    // Repetitions interleaved across systems: a busy moment of the machine falls on all of them alike.
    if (ONLY.includes("seq")) for (const system of systems) record(SEQ, system, await sequential(system, STEPS))
    if (ONLY.includes("rt")) {
      for (const system of systems) {
        const trips: Array<number> = []
        await cpuOf(system, "W4 with its preparation", ROUND_TRIPS, async () => {
          for (let i = 0; i < ROUND_TRIPS; i++) {
            const name = unique("rt")
            const cb = await prepare(system, name, 0)
            trips.push(await complete(system, name, 0, cb, true))
          }
        })
        record(RT, system, trips.reduce((a, b) => a + b, 0) / trips.length)
      }
      // The floor under W4 in this Miniflare (FloorObject in bench/cloudflare-worker.ts), beside it.
      const trips: Array<number> = []
      for (let i = 0; i < ROUND_TRIPS; i++) trips.push(Number(await call(floor, "complete", { name: unique("floor") })))
      record(RT, floor, trips.reduce((a, b) => a + b, 0) / trips.length)
    }
    if (ONLY.includes("fanout")) {
      for (const system of systems) {
        record(FAN, system, await cpuOf(system, "W2", FANOUT, () => timed(() => call(system, "fanout", { name: unique("fan"), count: FANOUT, n: FANOUT_STEPS, named: 0 }))))
      }
    }
    if (ONLY.includes("engine")) {
      // The same W2 on the engine in memory inside workerd (no object, no storage): Reprise only.
      for (const system of systems.filter((candidate) => candidate.route === "reprise")) {
        record(FAN_ENGINE, system, await cpuOf(system, "W2 engine in memory", FANOUT, () => timed(() => call(system, "engine-fanout", { count: FANOUT, n: FANOUT_STEPS }))))
      }
    }
    if (ONLY.includes("named")) {
      for (const system of systems) {
        record(FAN_NAMED, system, await cpuOf(system, "W2 keyed", FANOUT, () => timed(() => call(system, "fanout", { name: unique("fan"), count: FANOUT, n: FANOUT_STEPS, named: 1 }))))
      }
    }
  }
}

/** Runs `body` while the V8 profiler of workerd's isolate samples (BENCH_CPU_PROFILE). */
const profiled = async (body: () => Promise<void>) => {
  if (PROFILE === undefined) return body()
  const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as Array<{ title: string; webSocketDebuggerUrl: string }>
  const target = targets.find((t) => !t.title.startsWith("core:")) ?? targets[0]!
  const ws = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject })
  let id = 0
  const pending = new Map<number, (message: { result: { profile?: unknown } }) => void>()
  ws.onmessage = (m) => {
    const message = JSON.parse(String(m.data)) as { id?: number; result: { profile?: unknown } }
    if (message.id !== undefined) pending.get(message.id)?.(message)
  }
  const send = (method: string, params: object = {}) =>
    new Promise<{ result: { profile?: unknown } }>((resolve) => {
      pending.set(++id, resolve)
      ws.send(JSON.stringify({ id, method, params }))
    })
  await send("Profiler.enable")
  await send("Profiler.setSamplingInterval", { interval: 250 })
  await send("Profiler.start")
  await body()
  writeFileSync(PROFILE, JSON.stringify((await send("Profiler.stop")).result.profile))
  ws.close()
  console.error(`profile of ${target.title}: ${PROFILE}`)
}

try {
  for (const system of systems) await sequential(system, 10) // warm up every system
  await profiled(measured)

  if (ONLY.includes("resume")) {
    // Resume after a 1,000-step history: prepared, then workerd restarted on the same storage (nothing in memory).
    const waiting = new Map<System, { name: string; cb: unknown }>()
    for (const system of systems) {
      const name = unique("resume")
      waiting.set(system, { name, cb: await prepare(system, name, STEPS) })
    }
    await main.restart()
    await before?.restart()
    for (const system of systems) record(RESUME, system, await complete(system, waiting.get(system)!.name, STEPS, waiting.get(system)!.cb, false))
  }

  const reprise = (workload: string) => median(samples[workload]?.["reprise"])
  const rows = Object.entries(samples).map(([workload, bySystem]) => ({
    workload,
    ...Object.fromEntries(systems.map((system) => [system.label, median(bySystem[system.label]).toFixed(1)])),
    "workflows / reprise": `${(median(bySystem["workflows"]) / reprise(workload)).toFixed(1)}x`,
    ...(before === undefined ? {} : { "before / reprise": `${(median(bySystem["reprise before"]) / reprise(workload)).toFixed(2)}x` })
  }))
  if (samples[FAN] !== undefined) {
    rows.push({
      workload: "W2 executions per second",
      ...Object.fromEntries(systems.map((system) => [system.label, (FANOUT / (median(samples[FAN]![system.label]) / 1000)).toFixed(0)])),
      "workflows / reprise": "",
      ...(before === undefined ? {} : { "before / reprise": "" })
    })
  }
  if (samples[SEQ] !== undefined) {
    rows.push({
      workload: "W1 per step (ms)",
      ...Object.fromEntries(systems.map((system) => [system.label, (median(samples[SEQ]![system.label]) / STEPS).toFixed(3)])),
      "workflows / reprise": "",
      ...(before === undefined ? {} : { "before / reprise": "" })
    })
  }
  const version = (await import("miniflare/package.json", { with: { type: "json" } }).catch(() => ({ default: { version: "?" } }))).default.version
  console.log(`Reprise (Durable Objects) vs Cloudflare Workflows, same Miniflare ${version}, median of ${REPS}`)
  console.table(rows)
  if (samples[RT] !== undefined) {
    const wf = median(samples[RT]["workflows"])
    console.log(`W4's floor here (one RPC that commits one write and answers a waiting RPC): ${median(samples[RT][floor.label]).toFixed(1)} ms; ` +
      `Reprise's W4 ${reprise(RT).toFixed(1)} ms; 3x faster than Workflows would be ${(wf / 3).toFixed(1)} ms`)
  }
  for (const [workload, bySystem] of Object.entries(samples)) {
    for (const [label, values] of Object.entries(bySystem)) console.log(`${workload} ${label}: ${values.map((v) => v.toFixed(1)).join(" ")}`)
  }
} finally {
  await main.mf.dispose()
  await before?.mf.dispose()
  rmSync(work, { recursive: true, force: true })
}
