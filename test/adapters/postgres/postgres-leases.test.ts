/**
 * The leases of several hosts on one database, two stores standing for two hosts: one holder at a time, a lapsed
 * lease taken over, the old holder's writes fenced off, hand-over on request (NOTIFY), and the takeover sweep.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { openPostgresStore, type PostgresStore } from "../../../adapters/postgres/postgres-store.ts"
import type { AlarmDispatcherShape } from "../../../src/host/alarm-dispatcher.ts"
import { executionSucceeded, startedLog, stepSucceeded } from "../../../src/store/conformance-events.ts"
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

/** Hosts on one schema (three stores, each its own pool and leases). */
const hosts = async (schema: string, acquireTimeoutMs = 300) => {
  const open = (hostId: string) => Effect.runPromise(openPostgresStore({ url: server.url, schema, leases: { hostId, leaseMs: LEASE_MS, acquireTimeoutMs } }))
  const a = await open("host-a")
  const b = await open("host-b")
  const c = await open("host-c")
  opened.push(a, b, c)
  return { a, b, c, leasesOf: (store: PostgresStore) => store.leases! }
}

/** What the takeover sweep asks the dispatcher to deliver. */
const recordingDispatcher = (delivered: Array<string>): AlarmDispatcherShape => ({
  deliver: (executionId) => Effect.sync(() => void delivered.push(executionId)),
  deliverDue: () => Effect.succeed(0),
  inFlight: Effect.succeed(0),
  stats: { delivered: 0, joined: 0, postponed: 0 },
  close: Effect.void
})

describe("leases on PostgreSQL", () => {
  it("lets one host hold an execution at a time, and fences the old holder's writes once another took it over", async () => {
    const { a, b, leasesOf } = await hosts("fencing")
    assert.isTrue(await Effect.runPromise(leasesOf(a).acquire("x", "try")))
    assert.isFalse(await Effect.runPromise(leasesOf(b).acquire("x", "try")), "held by a")
    const start = startedLog("x", { functionName: "fn", at: 1_000, length: 2 })
    await Effect.runPromise(a.append("x", start, 0, { alarmAt: 5_000 }))

    await sleep(LEASE_MS + 100) // a's lease lapses (a renews nothing: its loops are not started)
    assert.isTrue(await Effect.runPromise(leasesOf(b).acquire("x", "try")), "a lapsed lease is taken over")

    // a still believes it holds x and appends at the right seq: refused, and nothing of it is written.
    const stale = await Effect.runPromiseExit(a.append("x", [stepSucceeded(3, 2_000)], 2))
    assert.isTrue(Exit.isFailure(stale))
    assert.include(JSON.stringify(stale), "SeqConflict")
    await Effect.runPromise(a.setAlarm("x", 1))
    await Effect.runPromise(a.deleteAlarm("x"))
    assert.strictEqual(await Effect.runPromise(b.getAlarm("x")), 5_000, "a's alarm writes changed nothing")
    assert.strictEqual((await Effect.runPromise(b.load("x")))!.seq, 2)

    // The holder writes as usual.
    await Effect.runPromise(b.append("x", [stepSucceeded(3, 2_000), executionSucceeded(4, 3_000)], 2))
    assert.strictEqual((await Effect.runPromise(a.load("x")))!.seq, 4)
  })

  // Found from outside: a host held past its lease (SIGSTOP) whose step then ended had its write refused although
  // nobody had taken the lease; its actor went, and the execution waited 30 s for its watchdog on no host.
  it("makes a write fenced off by its own lapsed lease once the lease is renewed, when nobody took it meanwhile", async () => {
    const { a, b, leasesOf } = await hosts("lapsed")
    assert.isTrue(await Effect.runPromise(leasesOf(a).acquire("y", "try")))
    await Effect.runPromise(a.append("y", startedLog("y", { functionName: "fn", at: 1_000, length: 2 }), 0))
    await sleep(LEASE_MS + 100) // lapsed (no renewal runs), and nobody took it
    await Effect.runPromise(a.append("y", [stepSucceeded(3, 2_000)], 2))
    assert.strictEqual((await Effect.runPromise(b.load("y")))!.seq, 3, "written")
    assert.isFalse(await Effect.runPromise(leasesOf(b).acquire("y", "try")), "and a holds it again")
  })

  it("hands an execution over when another host asks (NOTIFY), and refuses with a StoreFailure when the holder keeps it", async () => {
    const { a, b, leasesOf } = await hosts("hand_over")
    const scope = await Effect.runPromise(Scope.make())
    try {
      await Effect.runPromise(Scope.provide(leasesOf(a).start(recordingDispatcher([])), scope))
      assert.isTrue(await Effect.runPromise(leasesOf(a).acquire("busy", "try")))
      // Nobody lets it go: a's engine would keep an execution that runs user code.
      const asked: Array<string> = []
      leasesOf(a).onRevoke((executionId, why) => void asked.push(`${executionId} ${why}`))
      const refused = await Effect.runPromiseExit(leasesOf(b).acquire("busy", "wait"))
      assert.isTrue(Exit.isFailure(refused))
      assert.include(JSON.stringify(refused), "running on another host")
      assert.include(JSON.stringify(refused), `"operation":"handOver"`, "busy, not a store failure (HTTP: execution-busy)")
      assert.include(asked, "busy wanted", "b asked a for it")
      assert.isTrue(leasesOf(a).held.has("busy"), "a still holds it, renewed all along")

      // An idle one is let go when asked, and b takes it.
      leasesOf(a).onRevoke((executionId) => void Effect.runFork(leasesOf(a).release(executionId)))
      assert.isTrue(await Effect.runPromise(leasesOf(b).acquire("busy", "wait")))
      assert.isFalse(leasesOf(a).held.has("busy"))
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })

  it("reports a lease lost at renewal, and sweeps the due alarms of executions whose holder is gone", async () => {
    const { a, b, c, leasesOf } = await hosts("takeover")
    // c takes `orphan`, writes its start and watchdog alarm, and dies (its loops never run).
    await Effect.runPromise(leasesOf(c).acquire("orphan", "try"))
    await Effect.runPromise(c.append("orphan", startedLog("orphan", { functionName: "fn", at: 1_000, length: 1 }), 0, { alarmAt: 2_000 }))
    await Effect.runPromise(leasesOf(a).acquire("lost", "try"))
    await sleep(LEASE_MS + 100)
    await Effect.runPromise(leasesOf(b).acquire("lost", "try")) // taken over while a was away

    const lost: Array<string> = []
    leasesOf(a).onRevoke((executionId, why) => void lost.push(`${executionId} ${why}`))
    const delivered: Array<string> = []
    const scope = await Effect.runPromise(Scope.make())
    try {
      await Effect.runPromise(Scope.provide(leasesOf(b).start(recordingDispatcher(delivered)), scope))
      await Effect.runPromise(Scope.provide(leasesOf(a).start(recordingDispatcher([])), scope))
      const deadline = Date.now() + 5_000
      while ((lost.length === 0 || delivered.length === 0) && Date.now() < deadline) await sleep(20)
      assert.deepStrictEqual(lost, ["lost lost"], "a learns at renewal that it lost `lost`; `orphan` was renewed")
      assert.include(delivered, "orphan", "b's sweep delivers the due alarm of an execution nobody holds")
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
})
