import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileLines, killProcess, startServerProcess } from "./server-process.ts"

const script = join(import.meta.dirname, "crash-server.ts")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts the server process and resolves with it and its port once it listens (bounded: 20 s). */
/** Everything the server processes printed, for the failure message of a test that goes wrong. */
const printed: Array<string> = []

const startServer = (db: string, sideEffects: string, ...rest: Array<string>) => startServerProcess(script, [db, sideEffects, ...rest], printed)

const kill = killProcess

const lines = fileLines

const post = async (port: number, path: string, body: unknown) =>
  (await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<any>
const get = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).json() as Promise<any>

/** Polls until `check` holds (bounded). */
const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(10)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("the Node server under SIGKILL", () => {
  it("finishes a 30-step execution killed at 20 different points, re-running only steps that were in flight", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-crash-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    const steps = 30
    let server = await startServer(db, sideEffects)
    const started = await post(server.port, "/v1/functions/many-steps/executions", { input: steps, executionName: "crash-me" })
    assert.strictEqual(started.executionId, "crash-me")
    let kills = 0
    try {
      for (let k = 0; k < 20; k++) {
        // Let at least one more step finish, then kill at a different moment each time (0 to 57 ms later).
        const done = lines(sideEffects).filter((l) => l.startsWith("done")).length
        if (done >= steps) break
        await until(() => lines(sideEffects).filter((l) => l.startsWith("done")).length > done, 15_000, "a step to finish")
        await sleep((k * 3) % 60)
        await kill(server.child)
        kills++
        server = await startServer(db, sideEffects)
      }
      await until(async () => (await get(server.port, "/v1/executions/crash-me")).status !== "RUNNING", 30_000, "the execution to end").catch(async (error) => {
        const history = await get(server.port, "/v1/executions/crash-me/history?limit=1000")
        throw new Error(`${error.message}; kills ${kills}; last events ${JSON.stringify(history.events.slice(-2))}; effects ${lines(sideEffects).slice(-4)}; stderr ${printed.join("").slice(-2000)}`)
      })
      const view = await get(server.port, "/v1/executions/crash-me")
      assert.strictEqual(view.status, "SUCCEEDED")
      assert.strictEqual(view.result, (steps * (steps - 1)) / 2)
      assert.isAtLeast(kills, 19)

      const effects = lines(sideEffects)
      const history = (await get(server.port, "/v1/executions/crash-me/history?limit=1000")).events as Array<{ _tag: string; name?: string }>
      let reruns = 0
      for (let i = 0; i < steps; i++) {
        const begins = effects.filter((l) => l === `begin ${i}`).length
        const dones = effects.filter((l) => l === `done ${i}`).length
        assert.isAtLeast(dones, 1, `step ${i} ran to its end`)
        assert.isAtMost(dones, begins)
        reruns += begins - 1
        assert.strictEqual(history.filter((e) => e._tag === "StepSucceeded" && e.name === `step-${i}`).length, 1, `step ${i} is recorded once`)
      }
      // A step body runs again only when a kill interrupted it before its result was written: at most once per kill.
      assert.isAtMost(reruns, kills)
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)

  it("fires a 2-second wait that was scheduled before a kill once the server is back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-crash-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    let server = await startServer(db, sideEffects)
    try {
      await post(server.port, "/v1/functions/napping/executions", { executionName: "nap" })
      await until(async () => (await get(server.port, "/v1/executions/nap?operations=true")).operations.some((op: { name?: string }) => op.name === "nap"), 30_000, "the wait to start")
      await kill(server.child)
      server = await startServer(db, sideEffects)
      await until(async () => (await get(server.port, "/v1/executions/nap")).status !== "RUNNING", 15_000, "the wait to fire")
      const view = await get(server.port, "/v1/executions/nap?operations=true")
      assert.strictEqual(view.status, "SUCCEEDED")
      assert.deepStrictEqual(lines(sideEffects), ["before", "after"])
      const nap = view.operations.find((op: { name?: string }) => op.name === "nap")
      assert.isAtLeast(Date.parse(nap.endedAt), Date.parse(nap.waitUntil))
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it("shuts down cleanly on SIGTERM mid-execution, and the next start finishes the execution", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-crash-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    let server = await startServer(db, sideEffects)
    try {
      await post(server.port, "/v1/functions/many-steps/executions", { input: 12, executionName: "graceful" })
      await until(() => lines(sideEffects).some((l) => l === "done 2"), 30_000, "a few steps")
      const exited = new Promise<number | null>((resolve) => server.child.once("exit", (code) => resolve(code)))
      server.child.kill("SIGTERM")
      assert.strictEqual(await exited, 0)
      server = await startServer(db, sideEffects)
      await until(async () => (await get(server.port, "/v1/executions/graceful")).status !== "RUNNING", 20_000, "the execution to end")
      assert.strictEqual((await get(server.port, "/v1/executions/graceful")).result, 66)
      for (let i = 0; i < 12; i++) assert.isAtLeast(lines(sideEffects).filter((l) => l === `done ${i}`).length, 1)
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  /**
   * Starts slow-steps (800 ms bodies) with `input` steps, SIGTERMs the server once the second body began, and starts it
   * again until the execution ends: the side effects the old process left, and those at the end.
   */
  const sigtermDuringSecondBody = async (name: string, input: number, ...serverArgs: Array<string>) => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-crash-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    let server = await startServer(db, sideEffects, ...serverArgs)
    try {
      await post(server.port, "/v1/functions/slow-steps/executions", { input, executionName: name })
      await until(() => lines(sideEffects).includes("begin 1"), 30_000, "the second step's body to begin")
      const exited = new Promise<number | null>((resolve) => server.child.once("exit", (code) => resolve(code)))
      server.child.kill("SIGTERM")
      assert.strictEqual(await exited, 0)
      const before = lines(sideEffects)
      server = await startServer(db, sideEffects)
      await until(async () => (await get(server.port, `/v1/executions/${name}`)).status !== "RUNNING", 20_000, "the execution to end")
      return { before, after: lines(sideEffects), status: (await get(server.port, `/v1/executions/${name}`)).status as string }
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it("on SIGTERM lets the step body that runs finish and be recorded, and begins no other: no body runs twice", async () => {
    const { before, after, status } = await sigtermDuringSecondBody("drained", 3)
    // The body under way when the signal came ended before the process did; the next one waits for the next start.
    assert.deepStrictEqual(before, ["begin 0", "done 0", "begin 1", "done 1"])
    assert.strictEqual(status, "SUCCEEDED")
    assert.deepStrictEqual(after, ["begin 0", "done 0", "begin 1", "done 1", "begin 2", "done 2"])
  }, 60_000)

  it("with shutdownGraceMs 0, a SIGTERM cuts the running body off: it runs again at the next start", async () => {
    const { before, after } = await sigtermDuringSecondBody("no-grace", 2, "0")
    assert.deepStrictEqual(before, ["begin 0", "done 0", "begin 1"])
    assert.deepStrictEqual(after, ["begin 0", "done 0", "begin 1", "begin 1", "done 1"])
  }, 60_000)
})
