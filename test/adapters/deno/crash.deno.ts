/**
 * The Deno server under SIGKILL, in its own process, on a KV file and on a SQLite file (`dbPath`): an execution of
 * 20 steps killed at 8 different points finishes re-running only steps that were in flight, and a 2-second wait
 * scheduled before a kill fires once the server is back (on KV from the message the queue kept in the file; on
 * SQLite from the alarm row, read at start).
 */
import { assert, Deno, sleep, tempDir, until } from "./deno-test-api.ts"
import { killProcess, startServerProcess } from "./server-process.ts"

const script = new URL("./crash-server.ts", import.meta.url).pathname
const printed: Array<string> = []

const startServer = (storePath: string, sideEffects: string) => startServerProcess(script, [storePath, sideEffects], printed)
const kill = killProcess

const lines = async (file: string) => (await Deno.readTextFile(file).catch(() => "")).split("\n").filter(Boolean)
const post = async (port: number, path: string, body: unknown): Promise<any> =>
  (await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json()
const get = async (port: number, path: string): Promise<any> => (await fetch(`http://127.0.0.1:${port}${path}`)).json()

for (const [store, file] of [["KV", "reprise.kv"], ["SQLite", "reprise.db"]] as const) {
  Deno.test({
    name: `${store}: SIGKILL at 8 points of a 20-step execution: it finishes, re-running only steps that were in flight`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const temp = await tempDir("reprise-deno-crash-")
      const storePath = `${temp.dir}/${file}`
      const sideEffects = `${temp.dir}/side-effects.log`
      const steps = 20
      let server = await startServer(storePath, sideEffects)
      let kills = 0
      try {
        const started = await post(server.port, "/v1/functions/many-steps/executions", { input: steps, executionName: "crash-me" })
        assert.equal(started.executionId, "crash-me")
        const done = async () => (await lines(sideEffects)).filter((l) => l.startsWith("done")).length
        for (let k = 0; k < 8; k++) {
          const before = await done()
          if (before >= steps) break
          await until(async () => (await done()) > before, 15_000, "a step to finish")
          await sleep((k * 7) % 50)
          await kill(server.child)
          kills++
          server = await startServer(storePath, sideEffects)
        }
        await until(async () => (await get(server.port, "/v1/executions/crash-me")).status !== "RUNNING", 30_000, "the execution to end").catch(async (error) => {
          const history = await get(server.port, "/v1/executions/crash-me/history?limit=1000")
          throw new Error(`${(error as Error).message}; kills ${kills}; last events ${JSON.stringify(history.events.slice(-2))}; stderr ${printed.join("").slice(-2000)}`)
        })
        const view = await get(server.port, "/v1/executions/crash-me")
        assert.equal(view.status, "SUCCEEDED")
        assert.equal(view.result, (steps * (steps - 1)) / 2)
        assert.atLeast(kills, 7)
        const effects = await lines(sideEffects)
        const history = (await get(server.port, "/v1/executions/crash-me/history?limit=1000")).events as Array<{ _tag: string; name?: string }>
        let reruns = 0
        for (let i = 0; i < steps; i++) {
          const begins = effects.filter((l) => l === `begin ${i}`).length
          const dones = effects.filter((l) => l === `done ${i}`).length
          assert.atLeast(dones, 1, `step ${i} ran to its end`)
          reruns += begins - 1
          assert.equal(history.filter((e) => e._tag === "StepSucceeded" && e.name === `step-${i}`).length, 1, `step ${i} recorded once`)
        }
        assert.atMost(reruns, kills, "a step body runs again only when a kill cut it before its result was written")
      } finally {
        await kill(server.child)
        await temp.remove()
      }
    }
  })

  Deno.test({
    name: `${store}: SIGKILL while a 2-second wait is pending: the wait fires once the server is back, and no step runs twice`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const temp = await tempDir("reprise-deno-crash-")
      const storePath = `${temp.dir}/${file}`
      const sideEffects = `${temp.dir}/side-effects.log`
      let server = await startServer(storePath, sideEffects)
      try {
        await post(server.port, "/v1/functions/napping/executions", { executionName: "nap" })
        const waitStarted = async () => (await get(server.port, "/v1/executions/nap/history")).events.find((e: { _tag: string }) => e._tag === "WaitStarted")
        await until(async () => (await waitStarted()) !== undefined, 30_000, "the wait to start")
        const napUntil = (await waitStarted()).until as number
        await kill(server.child)
        const killedAt = Date.now()
        assert.ok(killedAt < napUntil, "the wait was not due yet at the kill")
        server = await startServer(storePath, sideEffects)
        await until(async () => (await get(server.port, "/v1/executions/nap")).status !== "RUNNING", 15_000, "the wait to fire")
        const view = await get(server.port, "/v1/executions/nap")
        assert.equal(view.status, "SUCCEEDED")
        assert.deepEqual(await lines(sideEffects), ["before", "after"])
        const fired = (await get(server.port, "/v1/executions/nap/history")).events.find((e: { _tag: string }) => e._tag === "WaitSucceeded")
        assert.ok(fired.at >= napUntil && fired.at > killedAt, "the wait fired at its time, after the restart")
      } finally {
        await kill(server.child)
        await temp.remove()
      }
    }
  })

  Deno.test({
    name: `${store}: SIGTERM while a step body runs: it finishes and is recorded, no other begins, and none runs twice`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const temp = await tempDir("reprise-deno-crash-")
      const storePath = `${temp.dir}/${file}`
      const sideEffects = `${temp.dir}/side-effects.log`
      let server = await startServer(storePath, sideEffects)
      try {
        await post(server.port, "/v1/functions/slow-steps/executions", { input: 3, executionName: "drained" })
        await until(async () => (await lines(sideEffects)).includes("begin 1"), 30_000, "the second step's body to begin")
        server.child.kill("SIGTERM")
        assert.equal((await server.child.status).code, 0)
        assert.deepEqual(await lines(sideEffects), ["begin 0", "done 0", "begin 1", "done 1"])
        server = await startServer(storePath, sideEffects)
        await until(async () => (await get(server.port, "/v1/executions/drained")).status !== "RUNNING", 20_000, "the execution to end")
        assert.equal((await get(server.port, "/v1/executions/drained")).status, "SUCCEEDED")
        assert.deepEqual(await lines(sideEffects), ["begin 0", "done 0", "begin 1", "done 1", "begin 2", "done 2"])
      } finally {
        await kill(server.child)
        await temp.remove()
      }
    }
  })
}
