/**
 * Issue 13's four workloads, against the Node server over HTTP (its own process, a SQLite file, 127.0.0.1) and
 * against the engine in memory (a host on the in-memory store, in this process). Prints a table with the issue's
 * figures beside the new ones. Not part of `npm test`.
 *   npm run bench:workloads [-- --sync=FULL] [--only=node|engine] [--runs=3 --reps=3] [--workloads=w1,w2]
 *                           [--server-flags=--cpu-prof] [--w4-pause=20] [--warmup=1]
 * W1 one execution of 1,000 sequential trivial steps (us per step, from the start request to the answer of ?wait);
 * W2 200 executions of 10 steps started at once (executions per second); W3 the wake-up after a 1 s wait that
 * follows 1,000 steps (from the wait's due time to the result in the client); W4 an external callback round trip
 * (from the completion request to the result in the client). Each figure is the median of runs x reps.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { startHost } from "../src/host/index.ts"
import { memoryPorts } from "../src/host/memory-ports.ts"
import { makeMemoryStore } from "../src/store/memory-store.ts"
import { workloadFunctions } from "./workload-functions.ts"

const option = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const SYNC = option("sync", "NORMAL") === "FULL" ? "FULL" : "NORMAL"
const ONLY = option("only", "")
const RUNS = Number(option("runs", "3"))
const REPS = Number(option("reps", "3"))
/** Which workloads to run (default all), and node flags for the server (e.g. --server-flags=--cpu-prof). */
const ONLY_WORKLOADS = option("workloads", "w1,w2,w3,w4").split(",")
const SERVER_FLAGS = option("server-flags", "").split(" ").filter((flag) => flag !== "")
/**
 * Unmeasured repetitions of each workload before its measured ones (default 1). A server's callback path takes ~100
 * round trips to reach its steady speed under V8's tiers (W4 4 ms on the first, ~1.1 ms from the 150th on a quiet
 * machine), so the default W4 is a figure of a server that has just started; --warmup=200 gives a warm one.
 */
const WARMUP = Number(option("warmup", "1"))
/** How long W4 lets the waiting request reach the server before completing the callback (default 20 ms). */
const W4_PAUSE_MS = Number(option("w4-pause", "20"))
/**
 * Another checkout (e.g. the commit before a change, extracted with `git archive`): its Node server runs beside this
 * one, workload by workload and repetition by repetition interleaved, so that both see the same machine.
 */
const COMPARE = option("compare", "")
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** The issue's figures (median of three runs of three repetitions, this kind of machine). */
const PREVIOUS = {
  node: { w1: 88, w2: 333, w3: 16, w4: 4.3 },
  engine: { w1: 42, w2: 1946, w3: 4, w4: 0.7 }
}

/** What a workload needs from a system: start (optionally waiting for the end), describe, complete a callback. */
interface Driver {
  /** CPU time the system has used so far, in ms (the server process's, or this process's for the engine). */
  cpuMs(): number
  start(functionName: string, input: unknown, wait: boolean, executionName?: string): Promise<View>
  describe(executionId: string): Promise<View>
  succeedCallback(callbackId: string, result: string): Promise<void>
  close(): Promise<void>
}

interface View {
  readonly executionId: string
  readonly status: string
  readonly operations?: ReadonlyArray<{ readonly type: string; readonly status: string; readonly callbackId?: string; readonly waitUntil?: string; readonly until?: number }>
}

/** A process's CPU time (user + system) from /proc, in ms (Linux; clock ticks of 10 ms). */
const processCpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const httpDriver = (serverScript: string) => async (): Promise<Driver> => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-workloads-"))
  const child: ChildProcess = spawn(
    process.execPath,
    [...SERVER_FLAGS, "--conditions=reprise-source", serverScript, join(dir, "bench.db"), SYNC],
    { stdio: ["ignore", "pipe", process.env["BENCH_SERVER_STDERR"] === "1" ? "inherit" : "ignore"] }
  )
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the server exited (${code})`)))
    createInterface({ input: child.stdout! }).once("line", (line) => resolve((JSON.parse(line) as { url: string }).url))
  })
  // The server closes keep-alive connections idle for 5 s (Node's default): one reused just then resets. So the
  // client's agent drops its own idle connections after 2 s (`timeout` destroys free sockets only).
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 2000 })
  const call = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string | number> = body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
      const req = request(url + path, { method, agent, headers }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
      })
      req.on("error", reject)
      req.end(body)
    })
  const ok = (answer: { status: number; body: string }) => {
    if (answer.status >= 300) throw new Error(`HTTP ${answer.status}: ${answer.body}`)
    return answer.body === "" ? undefined : JSON.parse(answer.body)
  }
  return {
    cpuMs: () => processCpuMs(child.pid!),
    start: async (name, input, wait, executionName) =>
      ok(await call("POST", `/v1/functions/${name}/executions${wait ? "?wait=60" : ""}`, JSON.stringify({ input, ...(executionName === undefined ? {} : { executionName }) }))),
    // The operations are asked for (the plain answer has only their counts): W3 and W4 look for the wait and the callback.
    describe: async (id) => ok(await call("GET", `/v1/executions/${encodeURIComponent(id)}?operations=true`)),
    succeedCallback: async (id, result) => void ok(await call("POST", `/v1/callbacks/${encodeURIComponent(id)}/succeed`, JSON.stringify({ result }))),
    close: async () => {
      agent.destroy()
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGTERM")
      await exited
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

const engineDriver = async (): Promise<Driver> => {
  const host = await startHost({ functions: workloadFunctions, env: () => undefined, logging: { level: "warn" } }, memoryPorts(makeMemoryStore()))
  const describe = (id: string) => host.engine((e) => e.describe(id)) as Promise<View>
  return {
    cpuMs: () => {
      const usage = process.cpuUsage()
      return (usage.user + usage.system) / 1000
    },
    start: async (functionName, input, wait, executionName) => {
      const { executionId } = await host.engine((e) => e.start({ functionName, input, ...(executionName === undefined ? {} : { executionId: executionName }) }))
      return wait ? host.engine((e) => e.awaitEnd(executionId)) as Promise<View> : describe(executionId)
    },
    describe,
    succeedCallback: (id, result) => host.engine((e) => e.completeCallback(id, { ok: true, result: JSON.stringify(result) })),
    close: () => host.close()
  }
}

const expect = (view: View, status: string) => {
  if (view.status !== status) throw new Error(`execution ${view.executionId}: ${view.status}, expected ${status}`)
  return view
}

const w1 = async (d: Driver) => {
  const t0 = performance.now()
  expect(await d.start("steps", 1000, true), "SUCCEEDED")
  return (performance.now() - t0) // us per step = ms per 1,000 steps
}

const w2 = async (d: Driver) => {
  const t0 = performance.now()
  const views = await Promise.all(Array.from({ length: 200 }, () => d.start("steps", 10, true)))
  const ms = performance.now() - t0
  for (const view of views) expect(view, "SUCCEEDED")
  return 200 / (ms / 1000)
}

const w3 = async (d: Driver) => {
  const view = expect(await d.start("steps-then-wait", 1000, true), "SUCCEEDED")
  const answered = Date.now()
  const wait = (await d.describe(view.executionId)).operations?.find((op) => op.type === "WAIT")
  const due = wait?.until ?? (wait?.waitUntil === undefined ? undefined : new Date(wait.waitUntil).getTime()) // engine: epoch ms
  if (due === undefined) throw new Error("no wait in the execution")
  return answered - due
}

let callbacks = 0
const w4 = async (d: Driver) => {
  const name = `callback-${++callbacks}`
  const started = await d.start("callback-once", null, false, name)
  let callbackId: string | undefined
  for (let tries = 0; tries < 1000 && callbackId === undefined; tries++) {
    callbackId = (await d.describe(started.executionId)).operations?.find((op) => op.type === "CALLBACK" && op.status === "STARTED")?.callbackId
    if (callbackId === undefined) await new Promise((resolve) => setTimeout(resolve, 2))
  }
  if (callbackId === undefined) throw new Error("no callback appeared")
  const ended = new Promise<number>((resolve, reject) => {
    // An idempotent repeat of the start that waits for the end (?wait): the client that receives the result.
    void d.start("callback-once", null, true, name).then((view) => resolve(expect(view, "SUCCEEDED") && performance.now()), reject)
  })
  await new Promise((resolve) => setTimeout(resolve, W4_PAUSE_MS)) // let the waiting request reach the server
  const t0 = performance.now()
  await d.succeedCallback(callbackId, "pong")
  return (await ended) - t0
}

/** Each workload, with what its CPU time is divided by (steps, executions) to show the system's CPU per unit. */
const WORKLOADS = [
  { key: "w1", name: "W1 us/step", run: w1, digits: 1, cpu: { name: "W1 CPU us/step", per: 1 } },
  { key: "w2", name: "W2 exec/s", run: w2, digits: 0, cpu: { name: "W2 CPU ms/exec", per: 200 } },
  { key: "w3", name: "W3 ms", run: w3, digits: 1, cpu: undefined },
  { key: "w4", name: "W4 ms", run: w4, digits: 2, cpu: undefined }
] as const

const rows: Array<Record<string, string>> = []
const here = fileURLToPath(new URL("./workload-server.ts", import.meta.url))
const systems = [
  { key: "node" as const, label: `Node server (SQLite, ${SYNC})`, make: httpDriver(here) },
  ...(COMPARE === "" ? [] : [{ key: "node" as const, label: `Node server (SQLite, ${SYNC}) of ${COMPARE}`, make: httpDriver(join(COMPARE, "bench/workload-server.ts")) }]),
  { key: "engine" as const, label: "engine in memory", make: engineDriver }
] as const
const chosen = systems.filter((system) => ONLY === "" || ONLY === system.key)
const drivers = new Map<string, Driver>()
try {
  for (const system of chosen) drivers.set(system.label, await system.make())
  const samples = new Map<string, Array<number>>()
  const add = (key: string, value: number) => void samples.set(key, [...(samples.get(key) ?? []), value])
  for (const workload of WORKLOADS) {
    if (!ONLY_WORKLOADS.includes(workload.key)) continue
    for (let i = 0; i < WARMUP; i++) for (const system of chosen) await workload.run(drivers.get(system.label)!)
    // Repetitions interleaved across systems: a busy moment of the machine falls on all of them alike.
    for (let i = 0; i < RUNS * REPS; i++) {
      for (const system of chosen) {
        const driver = drivers.get(system.label)!
        const cpu0 = driver.cpuMs()
        add(`${system.label} ${workload.name}`, await workload.run(driver))
        if (workload.cpu !== undefined) add(`${system.label} ${workload.cpu.name}`, (driver.cpuMs() - cpu0) / workload.cpu.per)
      }
    }
  }
  for (const system of chosen) {
    const row: Record<string, string> = { system: system.label }
    for (const workload of WORKLOADS) {
      const measured = samples.get(`${system.label} ${workload.name}`)
      if (measured === undefined) continue
      const previous = SYNC === "NORMAL" ? PREVIOUS[system.key][workload.key] : undefined
      const now = median(measured)
      row[workload.name] = `${now.toFixed(workload.digits)}${previous === undefined ? "" : ` (was ${previous}, x${(now / previous).toFixed(2)})`}`
      console.error(`${system.label} ${workload.name}: ${measured.map((s) => s.toFixed(workload.digits)).join(" ")}`)
      const cpu = workload.cpu === undefined ? undefined : samples.get(`${system.label} ${workload.cpu.name}`)
      if (cpu !== undefined && workload.cpu !== undefined) {
        row[workload.cpu.name] = median(cpu).toFixed(workload.key === "w1" ? 0 : 2)
        console.error(`${system.label} ${workload.cpu.name}: ${cpu.map((s) => s.toFixed(workload.key === "w1" ? 0 : 2)).join(" ")}`)
      }
    }
    rows.push(row)
  }
} finally {
  for (const driver of drivers.values()) await driver.close()
}
console.table(rows)
