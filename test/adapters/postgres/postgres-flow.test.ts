/**
 * The FlowLedger on PostgreSQL (postgres-flow.ts), two stores standing for two hosts: a slot limit held across
 * both, slots of a host that stopped renewing lapse, a resumed execution waiting for a slot keeps new starts out,
 * a rate window shared, and a slot given back wakes the other host (NOTIFY) when someone waits. Then, over HTTP on
 * two hosts, a rate limit that refuses counts the queued starts (with concurrency, with debounce), also on a
 * database made by the previous schema version.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import pg from "pg"
import { durable, type DurableFunction } from "reprise"
import { applyMigrations, MIGRATIONS } from "../../../adapters/postgres/postgres-schema.ts"
import { openPostgresStore, type PostgresStore } from "../../../adapters/postgres/postgres-store.ts"
import { servePostgres, type PostgresServer as Host } from "../../../adapters/postgres/serve-postgres.ts"
import type { LedgerTake } from "../../../src/engine/flow-ledger.ts"
import type { LogEvent } from "../../../src/log/events.ts"
import { executionStarted } from "../../../src/store/conformance-events.ts"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

let server: PostgresServer
const opened: Array<PostgresStore> = []
const served: Array<Host> = []

beforeAll(async () => {
  server = await startPostgres()
}, 90_000)

afterAll(async () => {
  for (const host of served) await host.close()
  for (const store of opened) await store.close()
  await server?.stop()
}, 40_000)

const LEASE_MS = 300
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const hosts = async (schema: string) => {
  const open = (hostId: string) => Effect.runPromise(openPostgresStore({ url: server.url, schema, leases: { hostId, leaseMs: LEASE_MS }, flowPollMs: 60_000 }))
  const a = await open("host-a")
  const b = await open("host-b")
  opened.push(a, b)
  const take = (store: PostgresStore, executionId: string, mode: LedgerTake["mode"], extra: Partial<LedgerTake> = {}) =>
    Effect.runPromise(store.flowLedger!.take({ functionName: "fn", executionId, now: Date.now(), mode, concurrency: { key: "", limit: 2 }, ...extra }))
      .then((answer) => answer._tag)
  return { a, b, take }
}

/** Starts a host's ledger loops (renewal, LISTEN, poll) and records what wakes it; close the scope to stop them. */
const listening = (store: PostgresStore) => {
  const woken: Array<string | undefined> = []
  store.flowLedger!.onWake((fn) => void woken.push(fn))
  const scope = Effect.runSync(Scope.make())
  Effect.runFork(Scope.provide(store.flowLedger!.start(), scope))
  return { woken, scope }
}

describe("the flow ledger on PostgreSQL", () => {
  it("counts one concurrency limit for both hosts; a slot given back is free for either", async () => {
    const { a, b, take } = await hosts("flow_slots")
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    assert.strictEqual(await take(b, "x2", "start"), "Taken")
    assert.strictEqual(await take(a, "x3", "start"), "Full")
    assert.strictEqual(await take(b, "x3", "start"), "Full")
    // Taking again the slot one holds is not a second slot.
    assert.strictEqual(await take(b, "x2", "resume"), "Taken")
    await Effect.runPromise(a.flowLedger!.release("x1"))
    assert.strictEqual(await take(b, "x3", "start"), "Taken")
    // A host gives back only its own slots: a's release of x2 (b's) changes nothing.
    await Effect.runPromise(a.flowLedger!.release("x2"))
    assert.strictEqual(await take(a, "x4", "start"), "Full")
  })

  it("lets the slots of a host that stopped renewing lapse after its lease, and keeps those it renews", async () => {
    const { a, b, take } = await hosts("flow_lapse")
    const scope = Effect.runSync(Scope.make())
    Effect.runFork(Scope.provide(b.flowLedger!.start(), scope)) // b renews; a does not (its loops are not started)
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    assert.strictEqual(await take(b, "x2", "start"), "Taken")
    assert.strictEqual(await take(b, "x3", "start"), "Full")
    await sleep(LEASE_MS * 2)
    assert.strictEqual(await take(b, "x3", "start"), "Taken", "a's slot lapsed")
    assert.strictEqual(await take(b, "x4", "start"), "Full", "b's renewed slots still count")
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  it("renews only the slots the host means to hold: one whose give-back failed lapses", async () => {
    const { a, b, take } = await hosts("flow_stray")
    const scope = Effect.runSync(Scope.make())
    Effect.runFork(Scope.provide(a.flowLedger!.start(), scope))
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    // A row of a's that a's ledger no longer counts as its own (its DELETE failed, say), written behind its back.
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    await client.query(`INSERT INTO flow_stray.flow_slots (execution_id, function_name, group_key, host_id, held, expires_at) ` +
      "VALUES ('stray', 'fn', '', 'host-a', true, clock_timestamp() + interval '300 milliseconds')")
    await client.end()
    assert.strictEqual(await take(b, "x2", "start"), "Full")
    await sleep(LEASE_MS * 2)
    assert.strictEqual(await take(b, "x2", "start"), "Taken", "the stray row lapsed")
    assert.strictEqual(await take(b, "x3", "start"), "Full", "x1, renewed, still counts")
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  it("puts a resumed execution waiting for a slot ahead of new starts", async () => {
    const { a, b, take } = await hosts("flow_resume")
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    assert.strictEqual(await take(a, "x2", "start"), "Taken")
    assert.strictEqual(await take(b, "r", "resume"), "Full") // now waits, in line
    await Effect.runPromise(a.flowLedger!.release("x1"))
    assert.strictEqual(await take(a, "x3", "start"), "Full", "the waiting resumed execution comes first")
    assert.strictEqual(await take(b, "r", "resume"), "Taken")
    await Effect.runPromise(b.flowLedger!.release("r"))
    assert.strictEqual(await take(a, "x3", "start"), "Taken")
  })

  it("counts a rate window for both hosts, on the database's clock, and says when it opens", async () => {
    const { a, b } = await hosts("flow_rate")
    const take = (store: PostgresStore, executionId: string) =>
      Effect.runPromise(store.flowLedger!.take({ functionName: "fn", executionId, now: 0, mode: "start", rate: { key: "k", limit: 2, periodMs: 1_000 } }))
    const first = await take(a, "x1")
    const second = await take(b, "x2")
    assert.strictEqual(first._tag, "Taken")
    assert.strictEqual(second._tag, "Taken")
    const at1 = (first as { at: number }).at
    const at2 = (second as { at: number }).at
    assert.isAtLeast(at2, at1, "decisions get times in the order they were taken")
    assert.deepStrictEqual(await take(a, "x3"), { _tag: "Full", rateOpensAt: at1 + 1_000 })
    await sleep(Math.max(0, at1 + 1_000 - Date.now()) + 50)
    const third = await take(b, "x3")
    assert.strictEqual(third._tag, "Taken", "the window moved past the first start")
  })

  it("refusing (migration 5): the queued starts of the key count; it opens when the window holds limit - queued - 1", async () => {
    const { a } = await hosts("flow_refuse")
    const rate = { key: "k", limit: 3, periodMs: 60_000 }
    const take = (executionId: string, mode: LedgerTake["mode"], refuse = true) =>
      Effect.runPromise(a.flowLedger!.take({ functionName: "fn", executionId, now: 0, mode, rate: { ...rate, refuse } }))
    const at: Array<number> = []
    for (const id of ["x1", "x2", "x3"]) at.push(((await take(id, "start")) as { at: number }).at)
    // Written as an engine queues a start: ExecutionStarted with its queue keys, under the execution's lease.
    const queue = (id: string, rateKey: string) =>
      Effect.runPromise(Effect.andThen(a.leases!.acquire(id, "try"), a.append(id, [{ ...executionStarted(id, { functionName: "fn", at: Date.now() }), queue: { priority: 0, rateKey } } as LogEvent], 0)))
    await queue("q1", "k")
    await queue("other", "another key") // not counted
    assert.deepStrictEqual(await take("x4", "start"), { _tag: "Full", rateOpensAt: at[1]! + 60_000 }, "3 starts and 1 queued: the second start's")
    assert.deepStrictEqual(await take("x4", "start", false), { _tag: "Full", rateOpensAt: at[0]! + 60_000 }, "queuing: unchanged")
    await queue("q2", "k")
    assert.deepStrictEqual(await take("x4", "check"), { _tag: "Full", rateOpensAt: at[2]! + 60_000 })
    await queue("q3", "k")
    const whole = await take("x4", "check")
    assert.approximately(whole._tag === "Full" ? whole.rateOpensAt! : 0, Date.now() + 60_000, 5_000, "3 queued for 3: a whole period")
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    const counted = await client.query("SELECT count(*)::int AS n FROM flow_refuse.flow_starts").finally(() => client.end())
    assert.strictEqual(counted.rows[0]!.n, 3, "neither a refusal nor a check takes a place")
  })

  it("takes nothing for a dequeue of an execution that is not queued (a stale look at the queue)", async () => {
    const { a, take } = await hosts("flow_stale")
    assert.strictEqual(await take(a, "gone", "dequeue"), "Full")
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    assert.strictEqual(await take(a, "x1", "dequeue"), "Full", "a running execution's slot is left alone")
  })

  it("wakes the other hosts when a slot is given back and someone waits for one, and only then", async () => {
    const { a, b, take } = await hosts("flow_wake")
    const { woken, scope } = listening(b)
    await sleep(300) // its LISTEN is in place
    // Nobody waits: no wake-up (a limit that is not reached costs no admission pass on the hosts).
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    await Effect.runPromise(a.flowLedger!.release("x1"))
    // A resumed execution waits for a slot: the next slot given back wakes the hosts.
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    assert.strictEqual(await take(a, "x2", "start"), "Taken")
    assert.strictEqual(await take(b, "r", "resume"), "Full")
    await Effect.runPromise(a.flowLedger!.release("x1"))
    for (let i = 0; i < 50 && !woken.includes("fn"); i++) await sleep(20)
    // Notifications arrive in the order they were sent: the first release, had it notified, would be here first.
    // (undefined: the poll's first look, at start.)
    assert.deepStrictEqual(woken.filter((fn) => fn !== undefined), ["fn"])
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  it("listens again after its LISTEN connection is dropped (a PostgreSQL restart, a proxy's timeout): wake-ups come back", async () => {
    const { a, b, take } = await hosts("flow_relisten")
    const { woken, scope } = listening(b)
    const listeners = async () => {
      const client = new pg.Client({ connectionString: server.url })
      await client.connect()
      try {
        return (await client.query(`SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN "reprise_flow_relisten_flow"'`)).rows.map((row) => row.pid as number)
      } finally {
        await client.end()
      }
    }
    const until = async (check: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 200; i++) {
        if (await check()) return
        await sleep(25)
      }
      assert.fail(`timed out waiting for ${what}`)
    }
    await until(async () => (await listeners()).length === 1, "the LISTEN")
    const [dropped] = await listeners()
    woken.length = 0 // the poll's first look, at start
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    await client.query("SELECT pg_terminate_backend($1)", [dropped])
    await client.end()
    await until(async () => {
      const now = await listeners()
      return now.length === 1 && now[0] !== dropped
    }, "a new LISTEN connection")
    // The relistened host missed what came meanwhile, so it looks once (undefined); then a freed slot wakes it.
    await until(async () => woken.includes(undefined), "the catch-up pass")
    woken.length = 0
    assert.strictEqual(await take(a, "x1", "start"), "Taken")
    assert.strictEqual(await take(a, "x2", "start"), "Taken")
    assert.strictEqual(await take(b, "r", "resume"), "Full")
    await Effect.runPromise(a.flowLedger!.release("x1"))
    await until(async () => woken.includes("fn"), "the wake-up (the poll is a minute away)")
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
})

const call = async (host: Host, method: string, path: string, body?: unknown) => {
  const response = await fetch(host.url + path, {
    method,
    ...(method === "GET" ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) })
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) }
}

/** Two hosts (leases on: the flow ledger) serving `functions` on `schema`, closed with the file. */
const twoHosts = async (schema: string, functions: ReadonlyArray<DurableFunction>) => {
  const options = { functions, url: server.url, schema, port: 0, handleSignals: false, flowPollMs: 200 }
  for (const hostId of ["a", "b"]) served.push(await servePostgres({ ...options, leases: { hostId, leaseMs: 1_500 } }))
  return served.slice(-2)
}

const statusOf = async (host: Host, id: string) => {
  const view = await call(host, "GET", `/v1/executions/${encodeURIComponent(id)}`)
  return view.status === 404 ? "absent" : view.body.status as string
}

const assertRefused = (answer: Awaited<ReturnType<typeof call>>, most: number, least = 1) => {
  assert.strictEqual(answer.status, 429, JSON.stringify(answer.body))
  assert.strictEqual(answer.body.type, "https://reprise.dev/problems/too-many-requests")
  const retryAfter = Number(answer.headers.get("retry-after"))
  assert.isAtLeast(retryAfter, least)
  assert.isAtMost(retryAfter, most)
}

/**
 * Concurrency 1, 2 starts a minute, refused over the rate: of 5 starts (through either host) 1 runs, 1 waits QUEUED
 * (it takes the window's second place when it leaves the queue) and 3 are refused, writing nothing.
 */
const refusesOverTheQueue = async (schema: string) => {
  let open!: () => void
  const gate = new Promise<void>((resolve) => (open = resolve))
  const refusing = durable("refusing", async (input: { n: number }, ctx) => {
    await ctx.step("work", async () => (input.n === 0 ? gate : undefined))
    return input.n
  }, { concurrency: 1, rateLimit: { limit: 2, period: { minutes: 1 }, whenLimited: "refuse" } })
  const hosts = await twoHosts(schema, [refusing])
  try {
    const answers = []
    for (let n = 0; n < 5; n++) answers.push(await call(hosts[n % 2]!, "POST", "/v1/functions/refusing/executions", { executionName: `r-${n}`, input: { n } }))
    assert.deepStrictEqual(answers.map((answer) => answer.status), [201, 201, 429, 429, 429], JSON.stringify(answers.map((answer) => answer.body)))
    assert.deepStrictEqual(await Promise.all(["r-0", "r-1", "r-2", "r-3", "r-4"].map((id) => statusOf(hosts[0]!, id))), ["RUNNING", "QUEUED", "absent", "absent", "absent"])
    // Room again once r-0's start is a minute old (r-1 takes the other place).
    for (const answer of answers.slice(2)) assertRefused(answer, 60)
  } finally {
    open()
  }
  for (const id of ["r-0", "r-1"]) {
    for (let i = 0; i < 200 && (await statusOf(hosts[1]!, id)) !== "SUCCEEDED"; i++) await sleep(25)
    assert.strictEqual(await statusOf(hosts[1]!, id), "SUCCEEDED", id)
  }
}

describe("a rate limit that refuses, on several hosts", () => {
  it("with concurrency 1, 2 a minute: of 5 starts 1 runs, 1 is QUEUED and 3 are refused (429, Retry-After)", async () => {
    await refusesOverTheQueue("refuse_queued")
  }, 30_000)

  it("a debounced function: the queued starts count; a start that collapses into a waiting one is never refused", async () => {
    const debounced = durable("debounced-refusing", async (input: { customer: string }) => input.customer, {
      debounce: { period: { seconds: 30 }, key: (input: { customer: string }) => input.customer },
      rateLimit: { limit: 2, period: { minutes: 1 }, whenLimited: "refuse" }
    })
    const [a, b] = await twoHosts("refuse_debounced", [debounced])
    const start = (host: Host, customer: string) => call(host, "POST", "/v1/functions/debounced-refusing/executions", { input: { customer } })
    const first = await start(a!, "a")
    assert.strictEqual(first.status, 201)
    assert.strictEqual((await start(b!, "a")).status, 200, "collapsed")
    assert.strictEqual((await start(b!, "b")).status, 201)
    // a and b wait (debouncing), each to take a place in the window of 2: a third key is refused for a whole period.
    assertRefused(await start(a!, "c"), 60, 59)
    const again = await start(b!, "a")
    assert.strictEqual(again.status, 200, JSON.stringify(again.body))
    assert.strictEqual(again.body.executionId, first.body.executionId)
  }, 30_000)

  it("a database made by schema version 4 (before refusals counted the queue) is upgraded when a host opens it, and refuses the same way", async () => {
    const schema = "refuse_upgraded"
    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    try {
      await client.query("BEGIN")
      await applyMigrations(client, schema, MIGRATIONS.filter((m) => m.version <= 4), Date.now())
      await client.query("COMMIT")
      const before = await client.query(`SELECT max(version) AS version FROM ${schema}.schema_version`)
      assert.strictEqual(before.rows[0]!.version, 4)
      await refusesOverTheQueue(schema)
      const after = await client.query(`SELECT version FROM ${schema}.schema_version ORDER BY version`)
      assert.deepStrictEqual(after.rows.map((row) => row.version), MIGRATIONS.map((m) => m.version))
    } finally {
      await client.end()
    }
  }, 30_000)
})
