/**
 * The crash soak (issue 19): a real Reprise server process killed with SIGKILL at random moments (50-1,500 ms after
 * it listens) and started again over the same SQLite file, while a driver keeps executions running: 20-step
 * sequences, maps, waits, callbacks the driver completes, and repeated idempotency keys. Each step body appends to
 * a ledger outside the database (fsynced). Then the driver lets everything finish, restarts once more, and reports.
 * Not part of `npm test`.
 *
 *   npm run soak                     (200 kills)
 *   npm run soak -- --kills=1000     (--inflight=24 executions kept running; --max-minutes=N stops killing early)
 *   npm run soak -- --runtime=deno --kills=50   (the Deno server on Deno KV, under the real deno binary)
 *   npm run soak -- --runtime=workerd --kills=100   (the Cloudflare adapter in workerd, Durable Objects on disk)
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { emptyVerdict, type HistoryEvent, judgeSteps, quantile, readLedger, waitLateness } from "./soak-ledger.ts"
import { type RuntimeName, soakRuntime } from "./soak-runtimes.ts"

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback)
const KILLS = arg("kills", 200)
const INFLIGHT = arg("inflight", 24)
/** Stop killing after this many minutes even if fewer kills were made (the report says how many). */
const MAX_MINUTES = arg("max-minutes", Infinity)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const random = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1))

/** node (SQLite), deno (Deno KV, under the deno binary from npm) or workerd (the Cloudflare adapter): soak-runtimes.ts. */
const RUNTIME = process.argv.find((a) => a.startsWith("--runtime="))?.split("=")[1] ?? "node"
if (RUNTIME !== "node" && RUNTIME !== "deno" && RUNTIME !== "workerd") throw new Error(`--runtime=${RUNTIME}: node, deno or workerd`)

const dir = mkdtempSync(join(tmpdir(), "reprise-soak-"))
const ledger = join(dir, "ledger.jsonl")
const root = join(import.meta.dirname, "../..")
const runtime = await soakRuntime(RUNTIME as RuntimeName, root, dir, ledger)

// ---- the server process ----

interface Generation {
  readonly n: number
  readonly child: ChildProcess
  readonly spawnedAt: number
  listenedAt?: number
  killedAt?: number
  port?: number
}
const generations: Array<Generation> = []
// A driver that fails leaves no server behind (a process group outlives its leader's parent otherwise).
process.on("exit", () => {
  for (const g of generations) {
    if (runtime.group && g.child.pid !== undefined && g.killedAt === undefined) {
      try {
        process.kill(-g.child.pid, "SIGKILL")
      } catch {
        // gone already
      }
    }
  }
})
let current: Generation | undefined
const stderrTail: Array<string> = []

const boot = (n: number) =>
  new Promise<Generation>((resolve, reject) => {
    const [program, args] = runtime.command(n)
    runtime.serving(n)
    const child = spawn(program, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      detached: runtime.group,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", WRANGLER_SEND_METRICS: "false" }
    })
    const generation: Generation = { n, child, spawnedAt: Date.now() }
    generations.push(generation)
    let output = ""
    const timer = setTimeout(() => reject(new Error(`generation ${n} did not listen within 60 s: ${output}`)), 60_000)
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const match = /^listening (\d+)$/m.exec(output)
      if (match !== null && generation.port === undefined) {
        clearTimeout(timer)
        generation.port = Number(match[1])
        generation.listenedAt = Date.now()
        resolve(generation)
      }
    })
    child.stderr!.on("data", (chunk) => {
      stderrTail.push(`[gen ${n}] ${String(chunk)}`)
      if (stderrTail.length > 40) stderrTail.shift()
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      if (generation.port === undefined) reject(new Error(`generation ${n} exited (${code ?? signal}) before listening: ${output}${stderrTail.join("").slice(-2000)}`))
    })
  })

/** Whether any process of the group `pgid` is still there. */
const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

const kill = async (generation: Generation) => {
  const child = generation.child
  generation.killedAt = Date.now()
  if (runtime.group && child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, "SIGKILL")
  if (child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    })
  }
  // The group's other processes (workerd) are gone too before the next generation opens the same storage (bounded).
  if (runtime.group && child.pid !== undefined) {
    for (let i = 0; i < 500 && groupAlive(child.pid); i++) await sleep(10)
    if (groupAlive(child.pid)) throw new Error(`generation ${generation.n}: its process group outlived SIGKILL for 5 s`)
  }
}

// ---- HTTP (any failure is "try again later": the server may be down) ----

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const port = current?.port
  if (port === undefined) return undefined
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000)
    })
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) as any }
  } catch {
    return undefined
  }
}

const historyOf = async (executionId: string): Promise<Array<HistoryEvent> | undefined> => {
  const events: Array<HistoryEvent> = []
  let cursor: string | undefined
  for (let page = 0; page < 100; page++) {
    const answer = await call("GET", `/v1/executions/${encodeURIComponent(executionId)}/history?limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`)
    if (answer?.status !== 200) return undefined
    events.push(...answer.body.events)
    cursor = answer.body.nextCursor
    if (cursor === undefined) return events
  }
  return events
}

// ---- the executions ----

type Kind = "soak-sequence" | "soak-map" | "soak-wait" | "soak-callback"
interface Tracked {
  readonly id: string
  readonly kind: Kind
  readonly input: unknown
  /** How the start names it: executionName in the body, or the Idempotency-Key header. */
  readonly byHeader: boolean
  readonly repeats: number
  started: boolean
  repeated: number
  token?: string
  callbackAcked: boolean
  status?: string
  result?: unknown
}
const tracked = new Map<string, Tracked>()
const anomalies: Array<string> = []
let repeatsAnswered = 0
let duplicates = 0
let nextId = 0

const create = (): Tracked => {
  const roll = Math.random()
  const kind: Kind = roll < 0.4 ? "soak-sequence" : roll < 0.6 ? "soak-map" : roll < 0.8 ? "soak-wait" : "soak-callback"
  const input = kind === "soak-sequence" ? { steps: 20 } : kind === "soak-map" ? { items: random(4, 10) } : kind === "soak-wait" ? { seconds: random(1, 4) } : {}
  const id = `soak-${++nextId}`
  const repeats = Math.random() < 0.2 ? random(1, 3) : 0
  const entry: Tracked = { id, kind, input, byHeader: Math.random() < 0.5, repeats, started: false, repeated: 0, callbackAcked: false }
  tracked.set(id, entry)
  return entry
}

/** One start request (the first or a repeat); answers whether the server acknowledged it. */
const startOnce = async (entry: Tracked) => {
  const answer = entry.byHeader
    ? await call("POST", `/v1/functions/${entry.kind}/executions`, { input: entry.input }, { "idempotency-key": entry.id })
    : await call("POST", `/v1/functions/${entry.kind}/executions`, { input: entry.input, executionName: entry.id })
  if (answer === undefined || answer.status >= 500) return false
  if (answer.status !== 200 && answer.status !== 201) {
    anomalies.push(`start of ${entry.id}: ${answer.status} ${JSON.stringify(answer.body)}`)
    return true
  }
  if (answer.body.executionId !== entry.id) {
    duplicates++
    anomalies.push(`start of ${entry.id} answered execution ${answer.body.executionId}`)
  }
  if (entry.started) {
    repeatsAnswered++
    if (answer.status !== 200) {
      duplicates++
      anomalies.push(`a repeated start of ${entry.id} answered ${answer.status}`)
    }
  }
  return true
}

/** Moves one execution on: start it, repeat its start, answer its callback, or see that it ended. */
const tend = async (entry: Tracked) => {
  if (!entry.started) {
    entry.started = await startOnce(entry)
    return
  }
  if (entry.repeated < entry.repeats) {
    if (await startOnce(entry)) entry.repeated++
    return
  }
  if (entry.kind === "soak-callback" && !entry.callbackAcked) {
    const events = await historyOf(entry.id)
    const started = events?.find((event) => event._tag === "CallbackStarted")
    if (started?.callbackId === undefined) return
    entry.token ??= `answer-${entry.id}`
    const answer = await call("POST", `/v1/callbacks/${encodeURIComponent(started.callbackId)}/succeed`, { result: entry.token })
    // 409: already completed, by a request of ours whose answer the kill lost.
    if (answer?.status === 204 || answer?.status === 409) entry.callbackAcked = true
    else if (answer !== undefined && answer.status < 500) anomalies.push(`callback of ${entry.id}: ${answer.status} ${JSON.stringify(answer.body)}`)
    return
  }
  const view = await call("GET", `/v1/executions/${entry.id}`)
  if (view?.status !== 200) return
  entry.status = view.body.status
  entry.result = view.body.result
}

const open = () => [...tracked.values()].filter((entry) => entry.status === undefined || entry.status === "RUNNING")

/** Keeps INFLIGHT executions going until `stop()`; each round tends every open execution once. */
const drive = async (stop: () => boolean, create_: boolean) => {
  while (!stop()) {
    const going = open()
    if (create_) for (let i = going.length; i < INFLIGHT; i++) going.push(create())
    await Promise.all(going.map(tend))
    await sleep(100)
  }
}

// ---- the run ----

const t0 = Date.now()
current = await boot(0)
let killing = true
let kills = 0
const killer = (async () => {
  for (let k = 1; k <= KILLS; k++) {
    if (Date.now() - t0 > MAX_MINUTES * 60_000) break
    kills = k
    await sleep(random(50, 1500))
    const dying = current!
    current = undefined
    await kill(dying)
    current = await boot(k)
    if (k % 50 === 0) console.error(`${k} kills, ${tracked.size} executions, ${Math.round((Date.now() - t0) / 1000)} s`)
  }
  killing = false
})()
await Promise.all([killer, drive(() => !killing, true)])
const killsDoneAt = Date.now()

// Let everything finish (bounded), restart once more, and look again.
const settleFor = async (ms: number) => {
  const deadline = Date.now() + ms
  await drive(() => open().length === 0 || Date.now() > deadline, false)
}
await settleFor(180_000)
await kill(current!)
current = await boot(kills + 1)
await settleFor(open().length === 0 ? 5_000 : 60_000)

// ---- the verdict ----

const { runs, torn } = readLedger(ledger)
const verdict = emptyVerdict()
const lateness: Array<{ id: string; until: number; fired: number }> = []
let wrongResults = 0
let waitsLost = 0
let callbacksLost = 0
for (const entry of tracked.values()) {
  if (!entry.started) continue
  const events = await historyOf(entry.id)
  if (events === undefined) {
    anomalies.push(`no history for ${entry.id}`)
    continue
  }
  judgeSteps(entry.id, events, runs, verdict)
  for (const wait of waitLateness(events)) lateness.push({ id: entry.id, ...wait })
  if (entry.status !== "SUCCEEDED") continue
  const expected = entry.kind === "soak-sequence" ? 20 : entry.kind === "soak-map" ? (entry.input as { items: number }).items : entry.kind === "soak-wait" ? "woke" : entry.token
  if (JSON.stringify(entry.result) !== JSON.stringify(expected)) {
    wrongResults++
    anomalies.push(`${entry.id} returned ${JSON.stringify(entry.result)}, expected ${JSON.stringify(expected)}`)
  }
}
const started = [...tracked.values()].filter((entry) => entry.started)
const stuck = started.filter((entry) => entry.status === undefined || entry.status === "RUNNING")
for (const entry of stuck) {
  if (entry.kind === "soak-wait") waitsLost++
  if (entry.kind === "soak-callback" && entry.callbackAcked) callbacksLost++
}
const failed = started.filter((entry) => entry.status !== undefined && entry.status !== "RUNNING" && entry.status !== "SUCCEEDED")
const late = lateness.map((wait) => wait.fired - wait.until)
/**
 * A wait fired "beyond one boot" when some server generation was up for BOOT_BOUND_MS after the wait fell due (or
 * after it listened, if later) and the wait still had not fired by then: a restart alone does not explain it.
 */
const BOOT_BOUND_MS = arg("boot-bound", 5000)
const beyondOneBoot = lateness.filter((wait) =>
  generations.some((g) => {
    if (g.listenedAt === undefined) return false
    const from = Math.max(wait.until, g.listenedAt)
    return (g.killedAt ?? Infinity) >= from + BOOT_BOUND_MS && wait.fired > from + BOOT_BOUND_MS
  }))
/**
 * Lateness counted from when a server was up: a wait that fell due while no process served (a restart: 1-7 s for
 * workerd under Miniflare) is late by that much at least; this leaves it out. The generation that fired it is the
 * one running at the time (from its spawn: workerd fires overdue alarms before its launcher prints "listening", so
 * a wait fired during a boot counts 0).
 */
const lateWhileUp = lateness.map((wait) => {
  const firing = generations.find((g) => g.spawnedAt <= wait.fired && (g.killedAt ?? Infinity) >= wait.fired)
  return Math.max(0, wait.fired - Math.max(wait.until, firing?.listenedAt ?? wait.until))
})
const boots = generations.filter((g) => g.listenedAt !== undefined).map((g) => g.listenedAt! - g.spawnedAt)
await kill(current!)

const rows: Array<[string, string | number]> = [
  ["kills (SIGKILL)", kills === KILLS ? KILLS : `${kills} of ${KILLS} (stopped at --max-minutes=${MAX_MINUTES})`],
  ["executions started", started.length],
  ["  20-step sequences / maps / waits / callbacks", (["soak-sequence", "soak-map", "soak-wait", "soak-callback"] as const).map((kind) => started.filter((e) => e.kind === kind).length).join(" / ")],
  ["  succeeded", started.filter((e) => e.status === "SUCCEEDED").length],
  ["  failed (any other end)", failed.length],
  ["steps committed", verdict.steps],
  ["body runs after commit", verdict.runsAfterCommit],
  ["body runs before commit (killed mid-body)", verdict.runsBeforeCommit],
  ["committed results without their run in the ledger", verdict.committedWithoutRun],
  ["step results committed twice", verdict.committedTwice],
  ["repeated starts answered / duplicates", `${repeatsAnswered} / ${duplicates}`],
  ["waits fired", lateness.length],
  ["wait lateness p50 / p99 / max (ms)", `${quantile(late, 0.5)} / ${quantile(late, 0.99)} / ${late.length === 0 ? NaN : Math.max(...late)}`],
  ["  the same counted from when a server was up (p50 / p99 / max, ms)", `${quantile(lateWhileUp, 0.5)} / ${quantile(lateWhileUp, 0.99)} / ${lateWhileUp.length === 0 ? NaN : Math.max(...lateWhileUp)}`],
  [`waits fired beyond one boot (a generation lived ${BOOT_BOUND_MS} ms past their due time)`, beyondOneBoot.length],
  ["waits lost", waitsLost],
  ["callbacks completed / lost", `${started.filter((e) => e.callbackAcked).length} / ${callbacksLost}`],
  ["wrong results", wrongResults],
  ["stuck executions (RUNNING after the drain and an extra restart)", stuck.length],
  ["boot to listening p50 / max (ms)", `${quantile(boots, 0.5)} / ${Math.max(...boots)}`],
  ["torn ledger lines", torn],
  ["wall time: kill loop / total (s)", `${Math.round((killsDoneAt - t0) / 1000)} / ${Math.round((Date.now() - t0) / 1000)}`]
]
console.log(`\nReprise crash soak (${runtime.label}, SIGKILL)\n`)
const width = Math.max(...rows.map(([name]) => name.length))
for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`)
const latest = [...lateness].sort((a, b) => (b.fired - b.until) - (a.fired - a.until)).slice(0, 3)
if (latest.length > 0) {
  console.log("\nlatest waits (id, ms late, boots that listened while it was due, how long each lived in ms):")
  for (const wait of latest) {
    const during = generations.filter((g) => g.listenedAt !== undefined && (g.killedAt ?? Infinity) > wait.until && g.listenedAt < wait.fired)
    console.log(`  ${wait.id}  ${wait.fired - wait.until}  ${during.length}  ${during.map((g) => (g.killedAt ?? Date.now()) - g.listenedAt!).join(",")}`)
  }
}
for (const entry of stuck.slice(0, 5)) console.log(`stuck: ${entry.id} (${entry.kind}, ${entry.status ?? "never seen"})`)
for (const anomaly of anomalies.slice(0, 20)) console.log(`anomaly: ${anomaly}`)
if (stuck.length > 0 || anomalies.length > 0) console.log(`\nlast server output:\n${stderrTail.join("").slice(-3000)}`)
const clean = stuck.length === 0 && verdict.runsAfterCommit === 0 && verdict.committedWithoutRun === 0 && verdict.committedTwice === 0 &&
  waitsLost === 0 && beyondOneBoot.length === 0 && callbacksLost === 0 && wrongResults === 0 && duplicates === 0 && failed.length === 0
runtime.close()
if (clean) rmSync(dir, { recursive: true, force: true })
else console.log(`\nkept for inspection: ${dir}`)
process.exit(clean ? 0 : 1)
