/**
 * Flow control across three hosts (processes) on one PostgreSQL database (postgres-flow.ts): every start goes to a
 * random host, and the limits hold for all of them together. What ran at once is measured in the step bodies, in a
 * ledger file outside the database that every host appends to (flow-host-server.ts).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { ChildProcess } from "node:child_process"
import { appendFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileLines, killProcess, startServerProcess } from "../node/server-process.ts"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

const script = join(import.meta.dirname, "flow-host-server.ts")
const LEASE_MS = 1_000

let postgres: PostgresServer
const dirs: Array<string> = []
const children: Array<ChildProcess> = []

beforeAll(async () => {
  postgres = await startPostgres()
}, 90_000)

afterAll(async () => {
  for (const child of children) await killProcess(child)
  await postgres?.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}, 40_000)

interface Host {
  readonly id: string
  readonly child: ChildProcess
  readonly port: number
}

/** Hosts (three unless told) on a schema of their own, and the ledger file their step bodies append to (a new one unless given). */
const startHosts = async (schema: string, ids = ["a", "b", "c"], ledgerFile?: string) => {
  let ledger = ledgerFile
  if (ledger === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "reprise-flow-hosts-"))
    dirs.push(dir)
    ledger = join(dir, "ledger")
  }
  const printed: Array<string> = []
  const hosts = await Promise.all(ids.map(async (id) => {
    const { child, port } = await startServerProcess(script, [postgres.url, schema, id, ledger!, String(LEASE_MS)], printed)
    children.push(child)
    return { id, child, port }
  }))
  return { hosts, ledger: ledger!, printed }
}

const request = async (host: Host, method: string, path: string, body?: unknown) => {
  const response = await fetch(`http://127.0.0.1:${host.port}${path}`, {
    method,
    ...(method === "GET" ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const pick = (hosts: ReadonlyArray<Host>) => hosts[Math.floor(Math.random() * hosts.length)]!

const until = async (check: () => Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/** Starts executions of `fn` one after another, through the hosts in turn; their ids in start order. */
const startAll = async (hosts: ReadonlyArray<Host>, fn: string, inputs: ReadonlyArray<{ input: unknown; priority?: number }>) => {
  const ids: Array<string> = []
  // In turn, so that each host owns some (through a random host, one got none of 12 about once in 40 runs).
  for (const [n, start] of inputs.entries()) {
    const started = await request(hosts[n % hosts.length]!, "POST", `/v1/functions/${fn}/executions`, start)
    assert.strictEqual(started.status, 201, JSON.stringify(started.body))
    ids.push(started.body.executionId)
  }
  return ids
}

/** Waits until some host runs a step body (holds slots), SIGKILLs that one and marks it in the ledger. */
const killBodyHost = async (hosts: ReadonlyArray<Host>, ledger: string) => {
  let victim: Host | undefined
  await until(async () => {
    const holder = fileLines(ledger).find((line) => line.startsWith("enter"))?.split(" ")[1]
    victim = hosts.find((host) => host.id === holder)
    return victim !== undefined
  }, 60_000, "a body to start")
  await killProcess(victim!.child)
  appendFileSync(ledger, `killed ${victim!.id}\n`)
  return { victim: victim!, live: hosts.filter((host) => host !== victim) }
}

/** Waits until every execution succeeded (asking random live hosts), then returns their histories. */
const finished = async (hosts: ReadonlyArray<Host>, ids: ReadonlyArray<string>, ms: number, printed: ReadonlyArray<string> = []) => {
  let statuses = new Map<string, number>()
  await until(async () => {
    statuses = new Map()
    for (const id of ids) {
      const status = (await request(pick(hosts), "GET", `/v1/executions/${id}`)).body.status as string
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
    return statuses.get("SUCCEEDED") === ids.length
  }, ms, "every execution to succeed").catch((error: Error) => {
    throw new Error(`${error.message}; last seen: ${JSON.stringify(Object.fromEntries(statuses))}; the hosts printed: ${printed.join("").slice(-4000)}`)
  })
  const histories = new Map<string, Array<{ _tag: string; at: number; name?: string }>>()
  for (const id of ids) histories.set(id, (await request(pick(hosts), "GET", `/v1/executions/${id}/history`)).body.events)
  return histories
}

/**
 * The most step bodies inside at once, per group (the ledger's order is the order of the appends), where a host
 * marked `killed` leaves all its bodies at that line (it had exited before the mark was written).
 */
const mostAtOnce = (lines: ReadonlyArray<string>, from = 0) => {
  const inside = new Map<string, Map<string, string>>() // group -> body -> host
  const most = new Map<string, number>()
  let overall = 0
  let total = 0
  for (const [index, line] of lines.entries()) {
    const [kind, host, executionId, step, group] = line.split(" ")
    if (kind === "killed") {
      for (const bodies of inside.values()) {
        for (const [body, holder] of bodies) {
          if (holder === host) {
            bodies.delete(body)
            total--
          }
        }
      }
      continue
    }
    const bodies = inside.get(group!) ?? new Map<string, string>()
    inside.set(group!, bodies)
    if (kind === "enter") {
      bodies.set(`${executionId} ${step}`, host!)
      total++
    } else if (bodies.delete(`${executionId} ${step}`)) total--
    if (index < from) continue
    most.set(group!, Math.max(most.get(group!) ?? 0, bodies.size))
    overall = Math.max(overall, total)
  }
  return { most, overall }
}

/** When the execution left the queue (or started at once): its ExecutionDequeued, else its ExecutionStarted. */
const leftQueueAt = (events: ReadonlyArray<{ _tag: string; at: number }>) =>
  (events.find((e) => e._tag === "ExecutionDequeued") ?? events.find((e) => e._tag === "ExecutionStarted")!).at

describe("flow control across several hosts on one PostgreSQL database", () => {
  it("50 executions under concurrency 3 started through the hosts in turn: at most 3 bodies at once, all finish, FIFO within a priority", async () => {
    const { hosts, ledger, printed } = await startHosts("flow_limited")
    const inputs = Array.from({ length: 50 }, (_, n) => ({ input: { n }, priority: n % 3 === 0 ? 5 : 0 }))
    const ids = await startAll(hosts, "limited", inputs)
    const histories = await finished(hosts, ids, 120_000, printed)
    const lines = fileLines(ledger)
    assert.strictEqual(mostAtOnce(lines).most.get("all"), 3, printed.join(""))
    // Each body ran once (no host died), and each execution left the queue once.
    assert.strictEqual(lines.filter((line) => line.startsWith("enter")).length, 100)
    for (const [id, events] of histories) {
      assert.isAtMost(events.filter((e) => e._tag === "ExecutionDequeued").length, 1, id)
      assert.deepStrictEqual(events.filter((e) => e._tag === "StepSucceeded").map((e) => e.name), ["first", "second"])
    }
    // FIFO within each priority: in start order, the times they left the queue do not go back.
    for (const priority of [5, 0]) {
      const times = ids.filter((_, n) => inputs[n]!.priority === priority).map((id) => leftQueueAt(histories.get(id)!))
      for (let i = 1; i < times.length; i++) assert.isAtLeast(times[i]!, times[i - 1]!, `priority ${priority}, start ${i}`)
    }
    // The queue was used: many of them waited.
    assert.isAtLeast([...histories.values()].filter((events) => events.some((e) => e._tag === "ExecutionDequeued")).length, 10)
    for (const host of hosts) await killProcess(host.child)
  }, 180_000)

  it("a concurrency limit per customer holds per key across hosts, and the keys do not hold each other up", async () => {
    const { hosts, ledger, printed } = await startHosts("flow_keyed")
    const customers = ["acme", "globex", "initech"]
    const ids = await startAll(hosts, "per-customer", Array.from({ length: 30 }, (_, n) => ({ input: { n, customer: customers[n % 3] } })))
    await finished(hosts, ids, 120_000)
    const lines = fileLines(ledger)
    const { most, overall } = mostAtOnce(lines)
    for (const customer of customers) assert.strictEqual(most.get(customer), 2, `${customer}: ${printed.join("")}`)
    assert.isAbove(overall, 2, "two customers' bodies ran at once")
    assert.strictEqual(lines.filter((line) => line.startsWith("enter")).length, 30)
    for (const host of hosts) await killProcess(host.child)
  }, 180_000)

  it("a host killed while it holds slots: the others go on, its slots come back once its lease lapses, nothing queued is lost or started twice", async () => {
    const { hosts, ledger, printed } = await startHosts("flow_killed")
    const ids = await startAll(hosts, "slow", Array.from({ length: 15 }, (_, n) => ({ input: { n } })))
    const { victim, live } = await killBodyHost(hosts, ledger)
    const histories = await finished(live, ids, 150_000)
    const lines = fileLines(ledger)
    assert.isAtMost(mostAtOnce(lines).most.get("all")!, 3, printed.join(""))
    for (const [id, events] of histories) {
      assert.strictEqual(events.filter((e) => e._tag === "ExecutionStarted").length, 1, id)
      assert.isAtMost(events.filter((e) => e._tag === "ExecutionDequeued").length, 1, id)
      assert.strictEqual(events.filter((e) => e._tag === "StepSucceeded").length, 1, id)
    }
    // A body ran twice only where the dead host ran it first.
    const runs = new Map<string, Array<string>>()
    for (const line of lines.filter((l) => l.startsWith("enter"))) {
      const [, host, executionId] = line.split(" ")
      runs.set(executionId!, [...(runs.get(executionId!) ?? []), host!])
    }
    assert.strictEqual(runs.size, 15)
    for (const [id, on] of runs) if (on.length > 1) assert.deepStrictEqual(on.slice(0, -1), [victim.id], `${id} ran on ${on.join(", ")}`)
    assert.isTrue([...runs.values()].some((on) => on[0] === victim.id), "the killed host was running bodies")
    // Its slots came back when its lease lapsed, well before its own executions were taken over (at their watchdog):
    // the live hosts ran 3 bodies at once in between, which the dead host's slots, still counted, would forbid.
    const killedAt = lines.indexOf(`killed ${victim.id}`)
    const itsOwn = new Set([...runs].filter(([, on]) => on[0] === victim.id).map(([id]) => id))
    const takenOver = lines.findIndex((line, i) => i > killedAt && line.startsWith("enter") && itsOwn.has(line.split(" ")[2]!))
    assert.strictEqual(mostAtOnce(lines.slice(0, takenOver === -1 ? undefined : takenOver), killedAt).most.get("all"), 3)
    for (const host of live) await killProcess(host.child)
  }, 240_000)

  /**
   * Host a runs "single" (concurrency 1) for three executions: the first runs its 1 s step, the others wait QUEUED.
   * It is stopped by `signal` while that step runs, and host b (a new id, as a restart without a fixed `hostId`
   * gets) starts on the same database. Returns the ids in start order and those whose bodies began after the stop.
   */
  const restartedWhileRunning = async (schema: string, signal: "SIGKILL" | "SIGTERM") => {
    const { hosts: [a], ledger, printed } = await startHosts(schema, ["a"])
    const ids = await startAll([a!], "single", [1, 2, 3].map((n) => ({ input: { n } })))
    await until(async () => fileLines(ledger).some((line) => line.startsWith(`enter a ${ids[0]} `)), 30_000, "the first body")
    await new Promise<void>((resolve) => {
      a!.child.once("exit", () => resolve())
      a!.child.kill(signal)
    })
    appendFileSync(ledger, "killed a\n") // gone: its bodies no longer count (mostAtOnce)
    const { hosts: [b] } = await startHosts(schema, ["b"], ledger)
    await finished([b!], ids, 90_000, printed)
    const lines = fileLines(ledger)
    await killProcess(b!.child)
    assert.strictEqual(mostAtOnce(lines).most.get("all"), 1, lines.join("\n"))
    const after = lines.slice(lines.indexOf("killed a")).filter((line) => line.startsWith("enter")).map((line) => line.split(" ")[2])
    return { ids, lines, after }
  }

  it("a host SIGKILLed mid-step, another started on the database: the execution that was running gets its slot back before the queued ones", async () => {
    // Its lease lapses at once but it resumes only at its watchdog (30 s): the queued ones had run first meanwhile.
    const { ids, lines, after } = await restartedWhileRunning("flow_restart_kill", "SIGKILL")
    assert.deepStrictEqual(after, ids, lines.join("\n"))
  }, 150_000)

  it("a host stopped (SIGTERM) mid-step, another started on the database: what it was running or had dequeued goes before the queued ones", async () => {
    // Its step ends within the grace and the second leaves the queue, but the host is gone before it runs: it came
    // after the third (about one run in two: the new host's first admission raced its recovery).
    const { ids, lines, after } = await restartedWhileRunning("flow_restart_term", "SIGTERM")
    assert.strictEqual(after.at(-1), ids[2], lines.join("\n"))
  }, 150_000)

  it("a rate limit of 5 per second holds across hosts: no 1 s window has more than 5 starts, each starts once", async () => {
    const { hosts } = await startHosts("flow_rated")
    const ids = await startAll(hosts, "rated", Array.from({ length: 15 }, (_, n) => ({ input: { n } })))
    const histories = await finished(hosts, ids, 120_000)
    const times = [...histories.values()].map(leftQueueAt).sort((a, b) => a - b)
    // A dequeue is recorded at the time the ledger counted it; a start that ran at once is recorded by the engine's
    // plain start a moment after the ledger counted it (a few ms): hence the 25 ms of slack.
    for (let i = 5; i < times.length; i++) assert.isAtLeast(times[i]! - times[i - 5]!, 975, `starts ${i - 5} and ${i}`)
    for (const events of histories.values()) assert.isAtMost(events.filter((e) => e._tag === "ExecutionDequeued").length, 1)
    // 15 starts at 5 per second: the last ones waited about 2 s.
    assert.isAtLeast(times.at(-1)! - times[0]!, 2_000)
    for (const host of hosts) await killProcess(host.child)
  }, 180_000)

  it("a debounced start through another host collapses into the queued one; a queued execution stopped through any host never runs", async () => {
    const { hosts, ledger } = await startHosts("flow_debounce_stop")
    const [a, b, c] = hosts as [Host, Host, Host]
    const first = await request(a, "POST", "/v1/functions/debounced/executions", { input: { customer: "acme", v: 1 } })
    assert.strictEqual(first.status, 201)
    const again = await request(b, "POST", "/v1/functions/debounced/executions", { input: { customer: "acme", v: 2 } })
    const last = await request(c, "POST", "/v1/functions/debounced/executions", { input: { customer: "acme", v: 3 } })
    assert.deepStrictEqual([again.status, again.body.executionId], [200, first.body.executionId])
    assert.deepStrictEqual([last.status, last.body.executionId], [200, first.body.executionId])
    const other = await request(a, "POST", "/v1/functions/debounced/executions", { input: { customer: "globex", v: 7 } })
    assert.notStrictEqual(other.body.executionId, first.body.executionId, "another key is another execution")
    await finished(hosts, [first.body.executionId, other.body.executionId], 60_000)
    assert.strictEqual((await request(b, "GET", `/v1/executions/${first.body.executionId}`)).body.result, 3, "run with the last input")

    const ids = await startAll(hosts, "single", [0, 1, 2].map((n) => ({ input: { n } })))
    const queued = await request(b, "GET", `/v1/executions/${ids[2]}`)
    assert.strictEqual(queued.body.status, "QUEUED")
    const stopped = await request(c, "POST", `/v1/executions/${ids[2]}/stop`, {})
    assert.deepStrictEqual([stopped.status, stopped.body.status], [200, "STOPPED"], JSON.stringify(stopped.body))
    await finished(hosts, ids.slice(0, 2), 60_000)
    assert.strictEqual((await request(a, "GET", `/v1/executions/${ids[2]}`)).body.status, "STOPPED")
    const entered = fileLines(ledger).filter((line) => line.startsWith("enter")).map((line) => line.split(" ")[2])
    assert.sameMembers(entered, [first.body.executionId, other.body.executionId, ids[0], ids[1]], "each ran once; the stopped one never")
    for (const host of hosts) await killProcess(host.child)
  }, 180_000)

  it("every host gives a queued execution its place in the shared queue, in describe and list", async () => {
    const { hosts } = await startHosts("flow_positions")
    const [a, b, c] = hosts as [Host, Host, Host]
    // One runs (20 s bodies); the rest wait, the one of priority 5 ahead of those started before it.
    const ids = await startAll(hosts, "held", [{ input: { n: 0 } }, { input: { n: 1 } }, { input: { n: 2 } }, { input: { n: 3 }, priority: 5 }, { input: { n: 4 } }])
    const expected = new Map([[ids[3]!, 1], [ids[1]!, 2], [ids[2]!, 3], [ids[4]!, 4]])
    await until(async () => (await request(a, "GET", `/v1/executions/${ids[0]}`)).body.status === "RUNNING", 20_000, "the first to run")
    for (const host of [a, b, c]) {
      for (const [id, position] of expected) {
        const view = (await request(host, "GET", `/v1/executions/${id}`)).body
        assert.deepStrictEqual([view.status, view.queuePosition], ["QUEUED", position], `${id} through host ${host.id}`)
      }
      assert.strictEqual((await request(host, "GET", `/v1/executions/${ids[0]}`)).body.queuePosition, undefined, "the running one has no place")
      const listed = (await request(host, "GET", "/v1/executions?function=held&status=QUEUED")).body.executions as Array<{ executionId: string; queuePosition?: number }>
      assert.deepStrictEqual(new Map(listed.map((e) => [e.executionId, e.queuePosition])), expected, `listed through host ${host.id}`)
    }
    // A stopped one leaves the queue: those behind it move up.
    assert.strictEqual((await request(b, "POST", `/v1/executions/${ids[1]}/stop`, {})).status, 200)
    assert.strictEqual((await request(c, "GET", `/v1/executions/${ids[2]}`)).body.queuePosition, 2)
    assert.strictEqual((await request(a, "GET", `/v1/executions/${ids[4]}`)).body.queuePosition, 3)
    for (const host of hosts) await killProcess(host.child)
  }, 120_000)

  it("a step limit holds across hosts: at most 2 bodies of the key at once, every body once, all finish", async () => {
    const { hosts, ledger, printed } = await startHosts("flow_step_limit")
    const ids = await startAll(hosts, "step-limited", Array.from({ length: 12 }, (_, n) => ({ input: { n, ms: 200 } })))
    const histories = await finished(hosts, ids, 120_000, printed)
    const lines = fileLines(ledger)
    // Per host it would be 2 on each: 6 at once.
    assert.strictEqual(mostAtOnce(lines).most.get("api"), 2, printed.join(""))
    assert.strictEqual(lines.filter((line) => line.startsWith("enter")).length, 24)
    assert.strictEqual(new Set(lines.filter((line) => line.startsWith("enter")).map((line) => line.split(" ")[1])).size, 3, "every host ran bodies")
    for (const [id, events] of histories) assert.strictEqual(events.filter((e) => e._tag === "StepSucceeded").length, 2, id)
    for (const host of hosts) await killProcess(host.child)
  }, 180_000)

  it("a function's concurrency and a step limit together across hosts: both hold, nothing waits forever, every body once", async () => {
    const { hosts, ledger, printed } = await startHosts("flow_both_limits")
    const ids = await startAll(hosts, "both-limited", Array.from({ length: 10 }, (_, n) => ({ input: { n } })))
    const histories = await finished(hosts, ids, 120_000, printed)
    const lines = fileLines(ledger)
    assert.strictEqual(mostAtOnce(lines).most.get("db"), 1, printed.join(""))
    const entered = lines.filter((line) => line.startsWith("enter")).map((line) => line.split(" ").slice(2, 4).join(" "))
    assert.strictEqual(new Set(entered).size, 20)
    assert.strictEqual(entered.length, 20, "no body ran twice")
    for (const [id, events] of histories) assert.strictEqual(events.filter((e) => e._tag === "StepSucceeded").length, 2, id)
    for (const host of hosts) await killProcess(host.child)
  }, 180_000)

  it("a host killed while its bodies hold step-limit slots: they stop counting once its lease lapses", async () => {
    const { hosts, ledger, printed } = await startHosts("flow_step_killed")
    const ids = await startAll(hosts, "step-limited", Array.from({ length: 8 }, (_, n) => ({ input: { n, ms: 1_500 } })))
    const { victim, live } = await killBodyHost(hosts, ledger)
    const histories = await finished(live, ids, 150_000, printed)
    const lines = fileLines(ledger)
    assert.strictEqual(mostAtOnce(lines).most.get("api"), 2, printed.join(""))
    for (const [id, events] of histories) assert.strictEqual(events.filter((e) => e._tag === "StepSucceeded").length, 2, id)
    // The live hosts ran 2 bodies at once before the dead host's own executions were taken over (at their watchdog):
    // its slots, still counted, would have left them one (or none).
    const killedAt = lines.indexOf(`killed ${victim.id}`)
    const itsOwn = new Set(lines.slice(0, killedAt).filter((line) => line.startsWith(`enter ${victim.id} `)).map((line) => line.split(" ")[2]!))
    assert.isAbove(itsOwn.size, 0, "the killed host was running bodies")
    const takenOver = lines.findIndex((line, i) => i > killedAt && line.startsWith("enter") && itsOwn.has(line.split(" ")[2]!))
    assert.strictEqual(mostAtOnce(lines.slice(0, takenOver === -1 ? undefined : takenOver), killedAt).most.get("api"), 2)
    for (const host of live) await killProcess(host.child)
  }, 240_000)
})
