/**
 * The FlowLedger on PostgreSQL (postgres-flow.ts), two stores standing for two hosts: a slot limit held across
 * both, slots of a host that stopped renewing lapse, a resumed execution waiting for a slot keeps new starts out,
 * a rate window shared, and a slot given back wakes the other host (NOTIFY) when someone waits.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import pg from "pg"
import { openPostgresStore, type PostgresStore } from "../../../adapters/postgres/postgres-store.ts"
import type { LedgerTake } from "../../../src/engine/flow-ledger.ts"
import { type PostgresServer, startPostgres } from "./postgres-server.ts"

let server: PostgresServer
const opened: Array<PostgresStore> = []

beforeAll(async () => {
  server = await startPostgres()
}, 90_000)

afterAll(async () => {
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
