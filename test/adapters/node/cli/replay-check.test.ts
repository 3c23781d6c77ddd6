/**
 * `reprise replay-check` as a user runs it before a deploy: the real bin in a child process, the functions file of
 * the new code, and the histories of a real server (reprise/node on SQLite), read over HTTP (--from) or from files
 * saved with `reprise history --json` (--history).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { signupV1, signupV2 } from "../fixtures/signup-versions.ts"
import { reprise } from "./cli-fixture.ts"

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
const KEY = "replay-check-key"

let dir: string
let server: Server
const callbacks: Array<string> = []
const hooks = { ran: () => undefined, confirm: (id: string) => void callbacks.push(id) }

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!check()) throw new Error(`timed out waiting for ${what}`)
}

/** One execution suspended under v1, then the server redeployed with v2 and one suspended under v2. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-replay-check-"))
  const dbPath = join(dir, "reprise.db")
  const old = await serve({ functions: [signupV1(hooks)], dbPath, port: 0, apiKey: KEY, handleSignals: false })
  const started = await fetch(`${old.url}/v1/functions/signup/executions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ input: { name: "ada" }, executionName: "old" })
  })
  assert.strictEqual(started.status, 201)
  await until(() => callbacks.length === 1, "v1 to suspend")
  await old.close()
  server = await serve({ functions: [signupV2(hooks)], dbPath, port: 0, apiKey: KEY, handleSignals: false })
  await fetch(`${server.url}/v1/functions/signup/executions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ input: { name: "bob" }, executionName: "new" })
  })
  await until(() => callbacks.length === 2, "v2 to suspend")
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise replay-check", () => {
  it("--from a server: the running executions of both versions replay cleanly on v2 with patched; exit 0", async () => {
    const result = await reprise(["replay-check", fixture("signup-v2.ts"), "--from", server.url, "--api-key", KEY])
    assert.strictEqual(result.code, 0, result.stderr)
    const lines = result.stdout.trim().split("\n").sort()
    assert.deepStrictEqual(lines, ["new  replays cleanly (5 operations)", "old  replays cleanly (4 operations)"])
    assert.include(result.stderr, "2 of 2 histories replay cleanly")
  })

  it("--from a server: the change without patched is non-deterministic at operation 2 of the old execution; exit 1", async () => {
    const result = await reprise(["replay-check", fixture("signup-v2-unguarded.ts"), "--from", server.url, "--json"], { REPRISE_API_KEY: KEY })
    assert.strictEqual(result.code, 1, result.stderr)
    const reports = JSON.parse(result.stdout) as Array<Record<string, unknown>>
    const old = reports.find((r) => r.executionId === "old")!
    assert.deepStrictEqual(
      { verdict: old.verdict, operationId: old.operationId, recorded: old.recorded, call: old.call },
      {
        verdict: "non-deterministic",
        operationId: "2",
        recorded: { type: "CONTEXT", subType: "WaitForCallback", name: "confirm" },
        call: { type: "STEP", subType: "Step", name: "audit" }
      }
    )
    assert.strictEqual(reports.find((r) => r.executionId === "new")!.verdict, "replays cleanly")
  })

  it("a functions file that also serves them when imported: refused in one line, and no server or database started", async () => {
    const db = join(dir, "served.db")
    const result = await reprise(["replay-check", fixture("signup-served.ts"), "--from", server.url, "--api-key", KEY], { SERVED_FIXTURE_DB: db })
    assert.strictEqual(result.code, 1, result.stderr)
    assert.include(result.stderr, "signup-served.ts starts a server as it is imported (serve(), servePostgres())")
    assert.include(result.stderr, "a file that exports the functions without serving them")
    assert.isFalse(existsSync(db), "the file's own database was not opened")
  })

  it("--history files saved with `reprise history --json`; the plain report names the operation and both calls", async () => {
    const files: Array<string> = []
    for (const id of ["old", "new"]) {
      const saved = await reprise(["history", id, "--json"], { REPRISE_URL: server.url, REPRISE_API_KEY: KEY })
      assert.strictEqual(saved.code, 0, saved.stderr)
      const file = join(dir, `${id}.json`)
      writeFileSync(file, saved.stdout)
      files.push(file)
    }
    const clean = await reprise(["replay-check", fixture("signup-v2.ts"), "--history", files[0]!, "--history", files[1]!])
    assert.strictEqual(clean.code, 0, clean.stderr)
    const dirty = await reprise(["replay-check", fixture("signup-v2-unguarded.ts"), "--history", files[0]!])
    assert.strictEqual(dirty.code, 1)
    assert.strictEqual(
      dirty.stdout.trim(),
      'old  NON-DETERMINISTIC at operation 2: recorded CONTEXT WaitForCallback "confirm", the code now calls STEP Step "audit"'
    )
    // --function narrows --history files too: the history of another function is left out, not checked. A name that
    // neither the file exports nor a history is of (a misspelt one) is a usage error, not a pass on "0 of 0".
    const narrowed = await reprise(["replay-check", fixture("signup-v2-unguarded.ts"), "--history", files[0]!, "--function", "billing"])
    assert.strictEqual(narrowed.code, 2, narrowed.stderr)
    assert.strictEqual(narrowed.stdout.trim(), "")
    assert.include(narrowed.stderr, '--function "billing": the file exports no such function and no history read is of it (it exports signup)')
    const named = await reprise(["replay-check", fixture("signup-v2-unguarded.ts"), "--history", files[0]!, "--function", "signup"])
    assert.strictEqual(named.code, 1)
  })

  it("usage errors exit 2 and say what is wrong", async () => {
    const neither = await reprise(["replay-check", fixture("signup-v2.ts")])
    assert.strictEqual(neither.code, 2)
    assert.include(neither.stderr, "give either --history files or --from a server")
    const both = await reprise(["replay-check", fixture("signup-v2.ts"), "--history", "x.json", "--from", server.url])
    assert.strictEqual(both.code, 2)
    const notHistory = join(dir, "not-history.json")
    writeFileSync(notHistory, JSON.stringify({ hello: 1 }))
    const bad = await reprise(["replay-check", fixture("signup-v2.ts"), "--history", notHistory])
    assert.strictEqual(bad.code, 2)
    assert.include(bad.stderr, "holds no history")
    const noFunctions = await reprise(["replay-check", fixture("signup-versions.ts"), "--history", notHistory])
    assert.strictEqual(noFunctions.code, 2)
    assert.include(noFunctions.stderr, "exports no durable functions")
  })

  it("--from a server: a running execution of a function the file no longer exports is reported; exit 1", async () => {
    const waiter = durable("waiter", async (_: unknown, ctx) => ctx.waitForCallback("go", () => undefined))
    const other = await serve({ functions: [signupV2(hooks), waiter], dbPath: join(dir, "other.db"), port: 0, handleSignals: false })
    try {
      const started = await fetch(`${other.url}/v1/functions/waiter/executions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executionName: "stranded" })
      })
      assert.strictEqual(started.status, 201)
      const result = await reprise(["replay-check", fixture("signup-v2.ts"), "--from", other.url])
      assert.strictEqual(result.code, 1, result.stderr)
      assert.strictEqual(result.stdout.trim(), 'stranded  function not found: no function named "waiter" was given')
      // --function narrows the check to the functions named.
      const narrowed = await reprise(["replay-check", fixture("signup-v2.ts"), "--from", other.url, "--function", "signup"])
      assert.strictEqual(narrowed.code, 0, narrowed.stderr)
    } finally {
      await other.close()
    }
  })
})
