/**
 * reprise/deno on a SQLite file (`serve({ dbPath })`) over HTTP against Deno.serve on a free port: the order example
 * (a retry on a durable backoff fired by the timer, a callback completed over HTTP, result, history, listing), a
 * wait fired after eviction, a graceful restart on the same file, the refusal of two stores at once, and a port
 * already taken.
 */
import { Effect } from "effect"
import { EngineProbe } from "../../../src/engine/engine-probe.ts"
import { serve, type SqliteServer } from "../../../adapters/deno/serve.ts"
import { fakeOrderServices, makeOrderFulfilment } from "../../../examples/order-fulfilment.ts"
import { assert, Deno, tempDir, until } from "./deno-test-api.ts"
import { call, count, napping, slowSteps } from "./server-fixture.ts"

const order = { orderId: "o-8", email: "grace@example.com", amountCents: 990, lines: [{ sku: "teapot", quantity: 2 }] }
const errors: Array<string> = []
// keepWarmMs 0: a suspended execution leaves memory at the next tick, so that the timer has to wake it from the file.
const start = (dbPath: string, functions: Parameters<typeof serve>[0]["functions"]) =>
  serve({ functions, dbPath, port: 0, handleSignals: false, evictEveryMs: 200, keepWarmMs: 0, onError: (e, id) => void errors.push(`${id}: ${String(e)}`) })

const history = async (server: SqliteServer, id: string) => (await call(server.url, "GET", `/v1/executions/${id}/history?limit=1000`)).body.events as Array<any>
const status = async (server: SqliteServer, id: string) => (await call(server.url, "GET", `/v1/executions/${id}`)).body.status as string

Deno.test({
  name: "on a SQLite file: the order example over HTTP (payment retried on a timer, warehouse callback), result, history and listing",
  fn: async () => {
    const temp = await tempDir("reprise-deno-sqlite-")
    const services = fakeOrderServices({ paymentOutages: 1 })
    const server = await start(`${temp.dir}/reprise.db`, [makeOrderFulfilment(services)])
    try {
      assert.equal(server.store.path, `${temp.dir}/reprise.db`)
      const started = await call(server.url, "POST", "/v1/functions/order-fulfilment/executions", { input: order })
      assert.equal(started.status, 201)
      const id = started.body.executionId as string
      await until(() => services.warehouseInbox.length === 1, 30_000, "the warehouse to be asked, after the payment retry")
      assert.equal(services.calls.charge, 2)
      const callbackId = services.warehouseInbox[0]!.callbackId
      const completed = await call(server.url, "POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, {
        result: JSON.stringify({ parcelId: "p-2", weightKg: 1 })
      })
      assert.equal(completed.status, 204)
      await until(async () => (await status(server, id)) !== "RUNNING", 30_000, "the order to finish")

      const view = await call(server.url, "GET", `/v1/executions/${id}`)
      assert.equal(view.body.status, "SUCCEEDED")
      assert.equal(view.body.result.status, "shipped")
      const events = await history(server, id)
      assert.deepEqual(events.filter((e) => e.name === "charge-payment").map((e) => `${e._tag}:${e.attempt}`), ["StepFailed:1", "StepSucceeded:2"])
      assert.equal(events.at(-1)._tag, "ExecutionSucceeded")
      const listing = await call(server.url, "GET", "/v1/executions?function=order-fulfilment")
      assert.deepEqual(listing.body.executions.map((e: { executionId: string }) => e.executionId), [id])
      // What the HTTP API showed is what the file holds.
      const stored = await Effect.runPromise(server.store.load(id))
      assert.equal(stored?.events.length, events.length)
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})

Deno.test({
  name: "on a SQLite file: a wait set before a restart fires after it, and a run cut mid-step finishes without re-running finished steps",
  fn: async () => {
    const temp = await tempDir("reprise-deno-sqlite-restart-")
    const dbPath = `${temp.dir}/reprise.db`
    let server = await start(dbPath, [napping, slowSteps])
    try {
      await call(server.url, "POST", "/v1/functions/napping/executions", { input: "sqlite-restart", executionName: "nap-s" })
      await call(server.url, "POST", "/v1/functions/slow-steps/executions", { input: { label: "sqlite-cut", n: 12 }, executionName: "cut-s" })
      await until(async () => count("sqlite-cut:done 3") === 1 && (await history(server, "nap-s")).some((e) => e._tag === "WaitStarted"), 30_000, "a few steps and the nap to start")
      await until(async () => !(await server.engine(() => EngineProbe.use((p) => Effect.sync(() => p.inMemory("nap-s"))))), 30_000, "the napping execution to be evicted")
      const napUntil = (await history(server, "nap-s")).find((e) => e._tag === "WaitStarted").until as number
      await server.close()
      const stoppedAt = Date.now()
      assert.ok(stoppedAt < napUntil, "the wait was not due yet when the server stopped")
      const doneAtStop = Array.from({ length: 12 }, (_, i) => count(`sqlite-cut:done ${i}`)).filter((n) => n > 0).length
      assert.atMost(doneAtStop, 11, "the run was cut before its end")

      server = await start(dbPath, [napping, slowSteps])
      await until(async () => (await status(server, "cut-s")) !== "RUNNING" && (await status(server, "nap-s")) !== "RUNNING", 30_000, "both to finish after the restart")
      assert.equal((await call(server.url, "GET", "/v1/executions/nap-s")).body.status, "SUCCEEDED")
      assert.deepEqual([count("sqlite-restart:before"), count("sqlite-restart:after")], [1, 1])
      const fired = (await history(server, "nap-s")).find((e) => e._tag === "WaitSucceeded")
      assert.ok(fired.at >= napUntil && fired.at > stoppedAt, "the wait fired at its time, after the restart")
      const cut = (await call(server.url, "GET", "/v1/executions/cut-s")).body
      assert.equal(cut.status, "SUCCEEDED")
      assert.equal(cut.result, 66)
      const events = await history(server, "cut-s")
      let reruns = 0
      for (let i = 0; i < 12; i++) {
        assert.equal(events.filter((e) => e._tag === "StepSucceeded" && e.name === `step-${i}`).length, 1, `step ${i} recorded once`)
        reruns += count(`sqlite-cut:begin ${i}`) - 1
        if (i < doneAtStop - 1) assert.equal(count(`sqlite-cut:begin ${i}`), 1, `finished step ${i} ran again after the restart`)
      }
      assert.atMost(reruns, 1, "only the step in flight at the stop may run again")
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})

Deno.test({
  name: "kvPath and dbPath together are refused: they name two stores",
  fn: async () => {
    let refused: unknown
    try {
      await serve({ functions: [napping], kvPath: ":memory:", dbPath: "/tmp/unused.db", port: 0, handleSignals: false })
    } catch (error) {
      refused = error
    }
    assert.match(String(refused), /kvPath \(Deno KV\) and dbPath \(a SQLite file\) name two stores/)
  }
})

Deno.test({
  name: "a port already taken: serve rejects, and the host it started does not live on (a due wait in its file stays unfired)",
  fn: async () => {
    const temp = await tempDir("reprise-deno-port-")
    const dbPath = `${temp.dir}/second.db`
    const first = await start(`${temp.dir}/first.db`, [napping])
    try {
      const before = await start(dbPath, [napping])
      await call(before.url, "POST", "/v1/functions/napping/executions", { input: "port-taken", executionName: "nap-p" })
      await until(async () => (await history(before, "nap-p")).some((e) => e._tag === "WaitStarted"), 30_000, "the nap to start")
      const napUntil = (await history(before, "nap-p")).find((e) => e._tag === "WaitStarted").until as number
      await before.close()

      let refused: unknown
      try {
        await serve({ functions: [napping], dbPath, port: first.port, handleSignals: false })
      } catch (error) {
        refused = error
      }
      assert.match(String(refused), /AddrInUse|already in use/i)
      // A host left running would resume the execution at start and fire its wait on time.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, napUntil - Date.now()) + 1_500))
      assert.equal(count("port-taken:after"), 0, "no one served the file after the refusal")

      const after = await start(dbPath, [napping])
      await until(async () => (await status(after, "nap-p")) === "SUCCEEDED", 30_000, "the nap to finish once served")
      await after.close()
      assert.deepEqual([count("port-taken:before"), count("port-taken:after")], [1, 1])
    } finally {
      await first.close()
      await temp.remove()
    }
  }
})

/** The PRAGMA `name` of the server's SQLite connection (reprise/node's store keeps it as `database`). */
const pragma = (server: SqliteServer, name: string) =>
  (server.store as unknown as { database: { prepare(sql: string): { get(): Record<string, unknown> } } }).database.prepare(`PRAGMA ${name}`).get()[name]

Deno.test({
  name: "synchronous and locking from serve() or from the environment, as on Node; bad values refused, naming their source",
  fn: async () => {
    const temp = await tempDir("reprise-deno-sqlite-settings-")
    const open = (options: Record<string, unknown> = {}) =>
      serve({ functions: [napping], dbPath: `${temp.dir}/reprise.db`, port: 0, handleSignals: false, ...options })
    const refusal = (options: Record<string, unknown> = {}) => open(options).then(() => "served", (error: unknown) => String(error))
    /** The server's [synchronous, locking_mode], read back from its connection; the server is closed whatever happens. */
    const settingsOf = async (options: Record<string, unknown> = {}) => {
      const server = await open(options)
      try {
        return [pragma(server, "synchronous"), pragma(server, "locking_mode")]
      } finally {
        await server.close()
      }
    }
    try {
      assert.deepEqual(await settingsOf(), [1, "normal"], "NORMAL and normal by default")
      assert.deepEqual(await settingsOf({ synchronous: "FULL", locking: "exclusive" }), [2, "exclusive"])
      Deno.env.set("REPRISE_SYNCHRONOUS", "full")
      Deno.env.set("REPRISE_SQLITE_LOCKING", "Exclusive")
      try {
        assert.deepEqual(await settingsOf(), [2, "exclusive"], "from the environment, in any case")
        Deno.env.set("REPRISE_SQLITE_LOCKING", "shared")
        assert.match(await refusal(), /REPRISE_SQLITE_LOCKING must be normal or exclusive, not "shared"/)
      } finally {
        Deno.env.delete("REPRISE_SYNCHRONOUS")
        Deno.env.delete("REPRISE_SQLITE_LOCKING")
      }
      assert.match(await refusal({ synchronous: "fast" }), /serve\(\{ synchronous \}\) must be NORMAL or FULL, not "fast"/)
      const onKv = await serve({ functions: [napping], kvPath: ":memory:", synchronous: "FULL", port: 0, handleSignals: false }).then(() => "served", String)
      assert.match(onKv, /synchronous and locking are settings of a SQLite file: they go with dbPath/)
    } finally {
      await temp.remove()
    }
  }
})

Deno.test({
  name: "(no background failures were reported on SQLite)",
  fn: () => assert.deepEqual(errors, [])
})
