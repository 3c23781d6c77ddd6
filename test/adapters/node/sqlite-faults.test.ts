/**
 * Issue 19, store faults on a real SQLite file: a full database (SQLite's `max_page_count`, so no small filesystem
 * or root is needed), a read-only database (`query_only`: file modes do not bind root, and this is the same
 * SQLITE_READONLY a read-only file gives), a corrupt page, and a truncated WAL after a SIGKILL. Under each: a typed
 * answer, nothing acknowledged that was not written, the server stays up, and it recovers once the fault clears.
 */
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeSync, closeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { call, faultFunctions, faultServer, makeGate, statusOf, until } from "./fault-fixture.ts"

const start = (server: { readonly url: string }, name: string, executionName: string, input?: unknown) =>
  call(server, "POST", `/v1/functions/${name}/executions`, { executionName, ...(input === undefined ? {} : { input }) })

const pragma = (store: { readonly database: { prepare(sql: string): { get(): unknown } } }, sql: string) =>
  store.database.prepare(`PRAGMA ${sql}`).get() as Record<string, number> | undefined

const isStoreFailure = (answer: Awaited<ReturnType<typeof call>>) =>
  answer.status === 503 && answer.type === "application/problem+json" && /store-failure$/.test(answer.body.type) && answer.retryAfter === "1"

describe("the Node server on a SQLite file that fails", () => {
  it("full database (max_page_count): starts past the limit get 503 and leave nothing; raising the limit lets everything go on", async () => {
    const gate = makeGate()
    const { server, store, close } = await faultServer(faultFunctions(gate))
    try {
      assert.strictEqual((await start(server, "gated", "before-full")).status, 201)
      await gate.enteredTimes(1)
      const pages = pragma(store, "page_count")!["page_count"]!
      pragma(store, `max_page_count = ${pages}`)
      const acknowledged: Array<string> = []
      let refused: string | undefined
      const big = "x".repeat(64 * 1024)
      for (let i = 0; i < 40 && refused === undefined; i++) {
        const answer = await start(server, "echo", `fill-${i}`, big)
        if (answer.status === 201) acknowledged.push(`fill-${i}`)
        else if (isStoreFailure(answer)) refused = `fill-${i}`
        else assert.fail(`unexpected answer ${answer.status} ${JSON.stringify(answer.body)}`)
      }
      assert.isDefined(refused, "the database filled up")
      assert.strictEqual((await call(server, "GET", `/v1/executions/${refused}`)).status, 404, "a refused start left nothing")
      for (const id of acknowledged) assert.strictEqual((await call(server, "GET", `/v1/executions/${id}`)).status, 200)
      assert.strictEqual((await call(server, "GET", "/healthz")).status, 200)
      assert.strictEqual((await call(server, "GET", "/v1/executions?limit=5")).status, 200, "reads still work")

      pragma(store, "max_page_count = 1073741823")
      gate.open()
      assert.strictEqual((await start(server, "echo", refused!, big)).status, 201)
      for (const id of ["before-full", refused!, ...acknowledged]) {
        await until(async () => (await statusOf(server, id)) === "SUCCEEDED", `${id} to end`)
      }
    } finally {
      await close()
    }
  }, 90_000)

  it("read-only database (query_only): writes get 503, reads work, a step refused mid-run resumes by itself when writes come back", async () => {
    const gate = makeGate()
    const { server, store, close } = await faultServer(faultFunctions(gate))
    try {
      assert.strictEqual((await start(server, "gated", "mid")).status, 201)
      await gate.enteredTimes(1)
      pragma(store, "query_only = 1")
      assert.isTrue(isStoreFailure(await start(server, "echo", "refused", 1)))
      gate.open() // the step's result cannot be written: its actor stops
      assert.strictEqual((await call(server, "GET", "/v1/executions/mid")).status, 200)
      assert.strictEqual((await call(server, "GET", "/healthz")).status, 200)
      assert.strictEqual((await call(server, "GET", "/v1/executions/refused")).status, 404)

      pragma(store, "query_only = 0")
      await until(async () => (await statusOf(server, "mid")) === "SUCCEEDED", "the execution to resume by itself", 500)
      assert.strictEqual((await call(server, "GET", "/v1/executions/mid")).body.result, "one-two")
      assert.strictEqual((await start(server, "echo", "refused", 1)).status, 201)
    } finally {
      await close()
    }
  }, 90_000)

  it("corrupt page: the execution on it answers a typed problem, the others are read, the server stays up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-corrupt-"))
    const path = join(dir, "reprise.db")
    const marker = "VICTIM-PAYLOAD-"
    try {
      let { server, close } = await faultServer(faultFunctions(makeGate()), undefined, path)
      // Ids sort the events table (WITHOUT ROWID): big neighbours keep the victim's rows on pages of their own.
      const fillers = (prefix: string) => Array.from({ length: 6 }, (_, i) => `${prefix}-filler-${i}`)
      const ids = ["a-bystander", ...fillers("m"), "v-victim", ...fillers("z")]
      for (const id of ids) {
        const input = id === "v-victim" ? marker.repeat(400) : id === "a-bystander" ? 7 : "f".repeat(6000)
        assert.strictEqual((await start(server, "echo", id, input)).status, 201)
      }
      for (const id of ids) await until(async () => (await statusOf(server, id)) === "SUCCEEDED", `${id} to end`)
      await server.close() // the last connection checkpoints the WAL into the file
      const bytes = readFileSync(path)
      const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16)
      // A leaf page of the events table (an index b-tree leaf: type 0x0A) that holds the victim's rows and not the
      // bystander's; interior pages of a WITHOUT ROWID table hold whole rows too, and every read goes through them.
      let page = -1
      for (let at = bytes.indexOf(marker); at >= 0 && page < 0; at = bytes.indexOf(marker, at + 1)) {
        const candidate = Math.floor(at / pageSize)
        const content = bytes.subarray(candidate * pageSize, (candidate + 1) * pageSize)
        if (candidate > 0 && content[0] === 0x0a && !content.includes("a-bystander")) page = candidate
      }
      assert.isAbove(page, 0, "a leaf page of the victim's")
      const fd = openSync(path, "r+")
      writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, page * pageSize)
      closeSync(fd)
      ;({ server, close } = await faultServer(faultFunctions(makeGate()), undefined, path))
      try {
        const read = await call(server, "GET", "/v1/executions/v-victim")
        assert.include([500, 503], read.status)
        assert.strictEqual(read.type, "application/problem+json")
        assert.match(read.body.type, /(log-corrupted|store-failure)$/)
        assert.strictEqual((await call(server, "GET", "/v1/executions/a-bystander")).body.result, 7)
        assert.strictEqual((await call(server, "GET", "/healthz")).status, 200)
        // A write may need the bad page too (SQLite rebalances the b-tree): then it is refused in the same typed way.
        const fresh = await start(server, "echo", "0-after", 1)
        assert.isTrue(fresh.status === 201 || isStoreFailure(fresh), `a new start: ${fresh.status}`)
        assert.strictEqual((await call(server, "GET", "/healthz")).status, 200, "the server is still up")
      } finally {
        await close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)

  it("truncated WAL after a SIGKILL: the server opens the file, loses only the torn tail, and the execution still ends right", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-wal-"))
    const db = join(dir, "reprise.db")
    const sideEffects = join(dir, "side-effects.log")
    const node = join(process.cwd(), "node_modules/.bin/node")
    const script = join(import.meta.dirname, "crash-server.ts")
    const boot = () =>
      new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
        const child = spawn(node, ["--conditions=reprise-source", script, db, sideEffects], { stdio: ["ignore", "pipe", "pipe"] })
        let output = ""
        child.stdout!.on("data", (chunk) => {
          output += String(chunk)
          const match = /listening (\d+)/.exec(output)
          if (match !== null) resolve({ child, url: `http://127.0.0.1:${match[1]}` })
        })
        child.stderr!.on("data", (chunk) => void (output += String(chunk)))
        child.once("exit", (code) => reject(new Error(`the server exited with ${code}: ${output}`)))
      })
    const kill = (child: ChildProcess) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.kill("SIGKILL")
      })
    const done = () => (existsSync(sideEffects) ? readFileSync(sideEffects, "utf8").split("\n").filter((line) => line.startsWith("done")).length : 0)
    let server = await boot()
    try {
      assert.strictEqual((await start(server, "many-steps", "wal", 12)).status, 201)
      await until(() => done() >= 6, "six steps to finish")
      await kill(server.child)
      const wal = `${db}-wal`
      const size = statSync(wal).size
      assert.isAbove(size, 32 + 4096, "the WAL holds frames")
      truncateSync(wal, size - 1000) // the last frame torn in the middle
      server = await boot()
      await until(async () => (await statusOf(server, "wal")) === "SUCCEEDED", "the execution to end after the torn WAL")
      const view = await call(server, "GET", "/v1/executions/wal")
      assert.strictEqual(view.body.result, (12 * 11) / 2)
      const history = await call(server, "GET", "/v1/executions/wal/history?limit=1000")
      for (let i = 0; i < 12; i++) {
        assert.strictEqual(history.body.events.filter((event: { _tag: string; name?: string }) => event._tag === "StepSucceeded" && event.name === `step-${i}`).length, 1)
      }
    } finally {
      await kill(server.child)
      rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
