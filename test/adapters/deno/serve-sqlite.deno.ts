/**
 * What is particular to reprise/deno on a SQLite file (`serve({ dbPath })`): the refusal of two stores at once, a
 * port already taken, the SQLite settings, and a bad $PORT. The order example, the restart and a second server on a served file
 * run on both stores in serve.deno.ts, the SIGKILL tests in crash.deno.ts.
 */
import { serve, type SqliteServer } from "../../../adapters/deno/serve.ts"
import { assert, Deno, tempDir, until } from "./deno-test-api.ts"
import { call, count, napping } from "./server-fixture.ts"

const errors: Array<string> = []
// keepWarmMs 0: a suspended execution leaves memory at the next tick, so that the timer has to wake it from the file.
const start = (dbPath: string, functions: Parameters<typeof serve>[0]["functions"]) =>
  serve({ functions, dbPath, port: 0, handleSignals: false, evictEveryMs: 200, keepWarmMs: 0, onError: (e, id) => void errors.push(`${id}: ${String(e)}`) })

const history = async (server: SqliteServer, id: string) => (await call(server.url, "GET", `/v1/executions/${id}/history?limit=1000`)).body.events as Array<any>
const status = async (server: SqliteServer, id: string) => (await call(server.url, "GET", `/v1/executions/${id}`)).body.status as string

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
  name: "a port already taken: serve rejects before it starts a host (a due wait in its file stays unfired), and closes its store",
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
        // Exclusive locking: a connection the refused server left open would keep the next server out of the file.
        await serve({ functions: [napping], dbPath, port: first.port, handleSignals: false, locking: "exclusive" })
      } catch (error) {
        refused = error
      }
      assert.match(String(refused), /AddrInUse|already in use/i)
      // A host started before the bind, and left running, would resume the execution and fire its wait on time.
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
  name: "a $PORT that is not a port number is refused at start, naming it, before the file is opened (as on Node)",
  fn: async () => {
    const temp = await tempDir("reprise-deno-port-env-")
    Deno.env.set("PORT", "abc")
    try {
      const refusal = await serve({ functions: [napping], dbPath: `${temp.dir}/reprise.db`, handleSignals: false }).then(() => "served", String)
      assert.match(refusal, /PORT must be a port number \(0 to 65535\), not "abc"/)
      assert.equal(await Deno.stat(`${temp.dir}/reprise.db`).then(() => "created", () => "absent"), "absent")
    } finally {
      Deno.env.delete("PORT")
      await temp.remove()
    }
  }
})

Deno.test({
  name: "(no background failures were reported on SQLite)",
  fn: () => assert.deepEqual(errors, [])
})
