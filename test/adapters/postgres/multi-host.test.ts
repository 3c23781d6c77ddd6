/**
 * Three hosts (processes) on one PostgreSQL database, driven over HTTP with every request sent to a random host:
 * each execution is held by one host at a time (leases), hands over when a request reaches another host, and moves
 * to a live host when its holder dies (SIGKILL) or stops answering (SIGSTOP) past its lease.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { openSse } from "../../http/sse-client.ts"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

const node = join(process.cwd(), "node_modules/.bin/node")
const script = join(import.meta.dirname, "multi-host-server.ts")
const LEASE_MS = 1_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let postgres: PostgresServer
const dirs: Array<string> = []
const children: Array<ChildProcess> = []

beforeAll(async () => {
  postgres = await startPostgres()
}, 90_000)

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGCONT")
      child.kill("SIGKILL")
    }
  }
  await postgres?.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}, 40_000)

interface HostProcess {
  readonly id: string
  readonly child: ChildProcess
  readonly port: number
  readonly output: () => string
}

const startHost = (schema: string, id: string, ledger: string, extra: ReadonlyArray<string> = []) =>
  new Promise<HostProcess>((resolve, reject) => {
    const child = spawn(node, ["--conditions=reprise-source", script, postgres.url, schema, id, ledger, String(LEASE_MS), ...extra], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    children.push(child)
    let output = ""
    const timer = setTimeout(() => reject(new Error(`host ${id} did not start: ${output}`)), 30_000)
    child.stdout!.on("data", (chunk) => {
      output += String(chunk)
      const match = /listening (\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ id, child, port: Number(match[1]), output: () => output })
      }
    })
    child.stderr!.on("data", (chunk) => void (output += String(chunk)))
    child.once("exit", (code) => reject(new Error(`host ${id} exited with ${code}: ${output}`)))
  })

const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

const request = async (host: HostProcess, method: string, path: string, body?: unknown) => {
  const response = await fetch(`http://127.0.0.1:${host.port}${path}`, {
    method,
    ...(method === "GET" ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

const ledgerLines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [])

/** Every execution of the scenario and how it stands: `done` once all have ended. */
const statuses = async (hosts: ReadonlyArray<HostProcess>, ids: ReadonlyArray<string>) => {
  const counts = new Map<string, number>()
  for (const id of ids) {
    const host = hosts[Math.floor(Math.random() * hosts.length)]!
    const { body } = await request(host, "GET", `/v1/executions/${id}`)
    counts.set(body.status, (counts.get(body.status) ?? 0) + 1)
  }
  return counts
}

/**
 * Starts `count` executions on random hosts, completes each one's callback through a random host as soon as it is
 * handed out, and calls `during` once a third of them have handed out their callback. Resolves when all have ended.
 */
const runScenario = async (
  schema: string,
  count: number,
  during: (hosts: Array<HostProcess>, live: () => Array<HostProcess>) => Promise<void>
) => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-multi-host-"))
  dirs.push(dir)
  const ledger = join(dir, "ledger")
  const hosts = await Promise.all(["a", "b", "c"].map((id) => startHost(schema, id, ledger)))
  const down = new Set<string>()
  const live = () => hosts.filter((host) => !down.has(host.id))
  const any = () => live()[Math.floor(Math.random() * live().length)]!
  const ids: Array<string> = []
  for (let n = 0; n < count; n++) {
    const started = await request(any(), "POST", "/v1/functions/shared-work/executions", { input: { n } })
    assert.strictEqual(started.status, 201, JSON.stringify(started.body))
    ids.push(started.body.executionId)
  }
  const completed = new Set<string>()
  const completeHandedOut = async () => {
    for (const line of ledgerLines(ledger)) {
      const [kind, executionId, callbackId] = line.split(" ")
      if (kind !== "callback" || completed.has(callbackId!)) continue
      const done = await request(any(), "POST", `/v1/callbacks/${encodeURIComponent(callbackId!)}/succeed`, { result: { add: 100 } })
      // 204 once; a repeat after a host died mid-way finds it completed (409) and that is fine too.
      if (done.status === 204 || done.status === 409) completed.add(callbackId!)
      else if (done.status !== 503) assert.fail(`completing the callback of ${executionId}: ${done.status} ${JSON.stringify(done.body)}`)
    }
  }
  let disrupted = false
  await until(async () => {
    await completeHandedOut()
    if (!disrupted && completed.size >= count / 3) {
      disrupted = true
      await during(hosts, live)
      for (const host of hosts) if (host.child.signalCode === "SIGKILL") down.add(host.id)
    }
    return disrupted && completed.size === count
  }, 120_000, "every callback to be handed out and completed")
  await until(async () => (await statuses(live(), ids)).get("SUCCEEDED") === count, 60_000, "every execution to succeed")
  return { ids, ledger, hosts, live }
}

/** How many times each step body ran, by execution and step, and on which hosts. */
const bodyRuns = (ledger: string) => {
  const runs = new Map<string, Array<string>>()
  for (const line of ledgerLines(ledger)) {
    const [host, executionId, step] = line.split(" ")
    if (host === "callback") continue
    const key = `${executionId} ${step}`
    runs.set(key, [...(runs.get(key) ?? []), host!])
  }
  return runs
}

const checkResults = async (live: Array<HostProcess>, ids: ReadonlyArray<string>) => {
  for (const [n, id] of ids.entries()) {
    const { body } = await request(live[n % live.length]!, "GET", `/v1/executions/${id}`)
    assert.strictEqual(body.status, "SUCCEEDED")
    assert.strictEqual(body.result, 4 * n + 6 + 100, `the result of execution ${n}`)
    const history = await request(live[n % live.length]!, "GET", `/v1/executions/${id}/history`)
    const succeeded = (history.body.events as Array<{ _tag: string; name?: string }>).filter((e) => e._tag === "StepSucceeded" && e.name !== undefined).map((e) => e.name)
    assert.deepStrictEqual(succeeded, ["step-0", "step-1", "step-2", "step-3", "after"], `each step recorded once in ${id}`)
  }
}

describe("several hosts on one PostgreSQL database", () => {
  it("runs 300 executions with steps, waits and callbacks sent to random hosts: each ends once, each step body ran once", async () => {
    const { ids, ledger, live } = await runScenario("three_hosts", 300, async () => {})
    await checkResults(live(), ids)
    const runs = bodyRuns(ledger)
    assert.strictEqual(runs.size, 300 * 5)
    for (const [step, hosts] of runs) assert.strictEqual(hosts.length, 1, `${step} ran on ${hosts.join(", ")}`)
    for (const host of live()) await kill(host.child)
  }, 240_000)

  it("moves the executions of a host killed mid-way to the others once its leases lapse", async () => {
    let victim = ""
    const { ids, ledger, live } = await runScenario("killed_host", 90, async (hosts) => {
      victim = hosts[0]!.id
      await kill(hosts[0]!.child)
    })
    await checkResults(live(), ids)
    // A step body ran twice only where the dead host ran it first and died before recording it.
    for (const [step, hosts] of bodyRuns(ledger)) {
      if (hosts.length > 1) assert.deepStrictEqual(hosts.slice(0, -1), [victim], `${step} ran on ${hosts.join(", ")}`)
    }
    for (const host of live()) await kill(host.child)
  }, 240_000)

  it("the streams of one host show what another host writes: an execution's events, every execution's lifecycle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-multi-host-"))
    dirs.push(dir)
    const [a, b] = await Promise.all(["a", "b"].map((id) => startHost("streams", id, join(dir, "ledger"))))
    const changes = await openSse(`http://127.0.0.1:${a!.port}/v1/events?function=shared-work&maxSeconds=30`)
    const started = await request(b!, "POST", "/v1/functions/shared-work/executions", { input: { n: 1 }, executionName: "on-b" })
    assert.strictEqual(started.status, 201)
    // Host b runs it (its lease); host a hears of it through the lifecycle bus (NOTIFY): the event and its seq.
    const next = async () => JSON.parse((await changes.next())!.data) as { executionId: string; status: string; event: string; seq?: number }
    const change = await next()
    assert.deepStrictEqual([change.executionId, change.status, change.event, change.seq], ["on-b", "RUNNING", "ExecutionStarted", 1])
    // A pause undone at once, shorter than a poll of the listing would see: both told.
    assert.strictEqual((await request(b!, "POST", "/v1/executions/on-b/pause")).status, 200)
    assert.strictEqual((await request(b!, "POST", "/v1/executions/on-b/resume")).status, 200)
    const paused = await next()
    const resumed = await next()
    assert.deepStrictEqual([paused.status, paused.event, resumed.status, resumed.event], ["PAUSED", "ExecutionPaused", "RUNNING", "ExecutionResumed"])
    await changes.close()
    const events = await openSse(`http://127.0.0.1:${a!.port}/v1/executions/on-b/events?maxSeconds=30`)
    const frames = [(await events.next())!, (await events.next())!]
    assert.deepStrictEqual(frames.map((frame) => frame.id), ["1", "2"])
    await events.close()
    for (const host of [a!, b!]) await kill(host.child)
  }, 120_000)

  it("a host paused past its leases (SIGSTOP) writes nothing to the executions it lost, and carries on after", async () => {
    let paused: HostProcess | undefined
    const { ids, ledger, hosts } = await runScenario("paused_host", 90, async (all) => {
      paused = all[0]!
      paused.child.kill("SIGSTOP")
      await sleep(3 * LEASE_MS)
      paused.child.kill("SIGCONT")
    })
    await checkResults(hosts, ids)
    for (const [step, runs] of bodyRuns(ledger)) {
      if (runs.length > 1) assert.deepStrictEqual(runs.slice(0, -1), [paused!.id], `${step} ran on ${runs.join(", ")}`)
    }
    // The paused host answers again, and serves the executions like any host.
    const view = await request(paused!, "GET", `/v1/executions/${ids[0]}`)
    assert.strictEqual(view.body.status, "SUCCEEDED")
    for (const host of hosts) await kill(host.child)
  }, 240_000)

  // The schedules of multi-host-server.ts (`schedules`): skip-<i> and allow-<i>, for i < RACE_SCHEDULES.
  const RACE_SCHEDULES = 4
  const scheduleHosts = async (schema: string) => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-multi-host-"))
    dirs.push(dir)
    return Promise.all(["a", "b", "c"].map((id) => startHost(schema, id, join(dir, "ledger"), ["schedules"])))
  }
  const heldExecutions = async (host: HostProcess) =>
    ((await request(host, "GET", "/v1/executions?function=held&limit=100")).body.executions as Array<{ executionId: string }>).map((e) => e.executionId)

  it("triggers of one skip schedule sent to three hosts at once start one execution", async () => {
    const hosts = await scheduleHosts("schedule_triggers")
    for (let i = 0; i < RACE_SCHEDULES; i++) {
      const answers = await Promise.all(hosts.flatMap((host) => [0, 1, 2].map(() => request(host, "POST", `/v1/schedules/skip-${i}/trigger`))))
      const outcomes = answers.map((answer) => answer.body.outcome as string)
      assert.deepStrictEqual(answers.filter((answer) => answer.status >= 300), [], "every trigger answered")
      assert.strictEqual(outcomes.filter((outcome) => outcome === "started").length, 1, `skip-${i}: ${outcomes.join(", ")}`)
      const view = await request(hosts[i % 3]!, "GET", `/v1/schedules/skip-${i}`)
      assert.deepStrictEqual([view.body.started, view.body.skipped], [1, 8], `skip-${i}: counted on every host`)
    }
    const started = (await heldExecutions(hosts[0]!)).filter((id) => id.startsWith("skip-"))
    assert.strictEqual(started.length, RACE_SCHEDULES, started.join(", "))
    for (const host of hosts) await kill(host.child)
  }, 120_000)

  it("triggers of one cancel-previous schedule sent to three hosts at once: one execution runs, the previous one is stopped", async () => {
    const hosts = await scheduleHosts("schedule_cancel")
    const runningOf = async (name: string) =>
      ((await request(hosts[0]!, "GET", "/v1/executions?function=held&limit=100")).body.executions as Array<{ executionId: string; status: string }>)
        .filter((e) => e.executionId.startsWith(`${name}:`) && e.status === "RUNNING").map((e) => e.executionId)
    for (let i = 0; i < RACE_SCHEDULES; i++) {
      const previous = (await request(hosts[i % 3]!, "POST", `/v1/schedules/cancel-${i}/trigger`)).body.executionId as string
      const answers = await Promise.all(hosts.flatMap((host) => [0, 1, 2].map(() => request(host, "POST", `/v1/schedules/cancel-${i}/trigger`))))
      assert.deepStrictEqual(answers.filter((answer) => answer.status >= 300), [], "every trigger answered")
      await until(async () => (await runningOf(`cancel-${i}`)).length <= 1, 3_000, `cancel-${i}: one running`).catch(() => undefined)
      const running = await runningOf(`cancel-${i}`)
      assert.strictEqual(running.length, 1, `cancel-${i}: ${running.join(", ")} run (${answers.map((a) => a.body.outcome).join(", ")})`)
      assert.notStrictEqual(running[0], previous, `cancel-${i}: the previous one is stopped`)
      const view = await request(hosts[(i + 1) % 3]!, "GET", `/v1/schedules/cancel-${i}`)
      assert.strictEqual(view.body.lastExecutionId, running[0], `cancel-${i}: the one running is the last`)
    }
    for (const host of hosts) await kill(host.child)
  }, 120_000)

  it("a pause sent to one host while others take triggers holds: no trigger's save undoes it", async () => {
    const hosts = await scheduleHosts("schedule_pause")
    for (let i = 0; i < RACE_SCHEDULES; i++) {
      const triggers = hosts.slice(1).flatMap((host) => [0, 1, 2, 3].map(() => request(host, "POST", `/v1/schedules/allow-${i}/trigger`)))
      const paused = await request(hosts[0]!, "POST", `/v1/schedules/allow-${i}/pause`)
      const answers = await Promise.all(triggers)
      assert.strictEqual(paused.status, 200, JSON.stringify(paused.body))
      assert.deepStrictEqual(answers.map((answer) => answer.body.outcome), Array(8).fill("started"), "a trigger starts while paused")
      for (const host of hosts) {
        const view = await request(host, "GET", `/v1/schedules/allow-${i}`)
        assert.strictEqual(view.body.paused, true, `allow-${i} read on host ${host.id}`)
        assert.strictEqual(view.body.started, 8, `allow-${i}: every start counted`)
      }
    }
    for (const host of hosts) await kill(host.child)
  }, 120_000)
})
