/**
 * `reprise dev <file>`: serves the file's durable functions and restarts when the file or a module it imports
 * changes, whether an editor writes in place or saves atomically (a new file renamed over the old one).
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { createServer } from "node:net"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { finish, freePort, start, until } from "./cli-fixture.ts"

const REPRISE = pathToFileURL(join(import.meta.dirname, "../../../../src/index.ts")).href

const functionsFile = (name: string) => `import { durable } from ${JSON.stringify(REPRISE)}
import { label } from "./lib/label.ts"
export const fn = durable(${JSON.stringify(name)}, async (_input: unknown, ctx) => ctx.step("label", async () => label))
export const all = [fn] // exported twice: served once
`

const assertUnreachable = async (url: string) => {
  const reached = await fetch(`${url}/healthz`).then(() => true, () => false)
  assert.isFalse(reached, `${url} still answers`)
}

/** `reprise dev <file>` on a free port, with a database in `folder`; `stderr()` is what it printed so far. */
const devServing = async (file: string, folder: string) => {
  const port = await freePort()
  const child = start(["dev", file, "--port", String(port), "--db", join(folder, "dev.db")], {})
  const exited = finish(child, 60_000)
  let printed = ""
  child.stderr?.on("data", (chunk) => (printed += chunk))
  return { url: `http://127.0.0.1:${port}`, child, exited, stderr: () => printed }
}

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise dev", () => {
  it("serves the file's functions on SQLite and restarts on in-place and atomic saves", async () => {
    dir = mkdtempSync(join(tmpdir(), "reprise-dev-"))
    const file = join(dir, "functions.ts")
    mkdirSync(join(dir, "lib"))
    writeFileSync(join(dir, "lib/label.ts"), `export const label = "v1"\n`)
    writeFileSync(file, functionsFile("first"))
    const { url, child, exited, stderr } = await devServing(file, dir)

    const names = async () => {
      const body = await (await fetch(`${url}/v1/functions`)).json() as { functions: Array<{ name: string }> }
      return body.functions.map((fn) => fn.name).join(",")
    }
    const serving = (expected: string) => until(async () => ((await names()) === expected ? true : undefined), `${expected} to be served`, 20_000)
    const run = async (name: string) => {
      const res = await fetch(`${url}/v1/functions/${name}/executions?wait=5`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
      return (await res.json() as { result?: unknown }).result
    }

    try {
      await serving("first")
      assert.strictEqual(await run("first"), "v1")
      // reprise dev has the development aids: firing a timer is answered (404 for no such execution), not refused (403).
      const fire = await fetch(`${url}/v1/executions/none/timers/1/fire`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
      assert.strictEqual(fire.status, 404)

      // An atomic save of the functions file.
      writeFileSync(join(dir, "functions.ts.tmp"), functionsFile("second"))
      renameSync(join(dir, "functions.ts.tmp"), file)
      await serving("second")

      // An in-place write of a module it imports.
      writeFileSync(join(dir, "lib/label.ts"), `export const label = "v2"\n`)
      await until(async () => ((await run("second")) === "v2" ? true : undefined), "the new label", 20_000)

      // A broken file is reported; the next save brings the server back.
      writeFileSync(file, "export const = (\n")
      await until(async () => (stderr().includes("failed to load") ? true : undefined), "the broken file to be reported", 20_000)
      await assertUnreachable(url)
      writeFileSync(file, functionsFile("third"))
      await serving("third")
    } finally {
      child.kill("SIGTERM")
    }
    const result = await exited
    assert.strictEqual(result.code, 0, result.stderr)
    assert.include(result.stderr, "failed to load")
    assert.notInclude(result.stderr, "the server stopped", "a file that did not load is said once, by the server")
    assert.match(result.stderr, /serving third at http:\/\/127\.0\.0\.1:\d+/)
    await assertUnreachable(url) // the server went with it
  }, 90_000)

  it("a file that also serves its functions when imported: said in one line, no server of its own, still watching", async () => {
    dir = mkdtempSync(join(tmpdir(), "reprise-dev-"))
    const file = join(dir, "app.ts")
    const own = join(dir, "own.db")
    const serve = pathToFileURL(join(import.meta.dirname, "../../../../adapters/node/serve.ts")).href
    writeFileSync(file, `import { durable } from ${JSON.stringify(REPRISE)}
import { serve } from ${JSON.stringify(serve)}
export const fn = durable("self-serving", async () => "hi")
await serve({ functions: [fn], port: 0, dbPath: ${JSON.stringify(own)}, handleSignals: false })
`)
    const { child, exited, stderr } = await devServing(file, dir)
    try {
      await until(async () => (stderr().includes("failed to load") ? true : undefined), "the refusal", 20_000)
      await until(async () => (stderr().includes("servePostgres()") ? true : undefined), "the refusal's reason", 5_000)
    } finally {
      child.kill("SIGTERM")
    }
    const result = await exited
    assert.include(result.stderr, "app.ts failed to load; waiting for a change")
    assert.include(result.stderr, "app.ts starts a server as it is imported (serve(), servePostgres())")
    assert.notMatch(result.stderr, /\n\s+at /, "no stack")
    assert.isFalse(existsSync(own), "the file's own server never opened its database")
  }, 60_000)

  it("on a busy port: one clear line and a non-zero exit, not a stack and a watch with no server", async () => {
    dir = mkdtempSync(join(tmpdir(), "reprise-dev-"))
    const file = join(dir, "functions.ts")
    mkdirSync(join(dir, "lib"))
    writeFileSync(join(dir, "lib/label.ts"), `export const label = "v1"\n`)
    writeFileSync(file, functionsFile("first"))
    const port = await freePort()
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", () => resolve()))
    try {
      const result = await finish(start(["dev", file, "--port", String(port), "--db", join(dir, "dev.db")], {}), 30_000)
      assert.strictEqual(result.code, 1, result.stderr)
      assert.match(result.stderr, new RegExp(`reprise dev: port ${port} on 127\\.0\\.0\\.1 is in use`))
      assert.notMatch(result.stderr, /\n\s+at /, "no stack")
      assert.notInclude(result.stderr, "watching", "nothing watched without a server")
    } finally {
      blocker.close()
    }
  }, 40_000)

  it("says so when the server dies under it (code outside every durable function threw), and serves again on the next save", async () => {
    dir = mkdtempSync(join(tmpdir(), "reprise-dev-"))
    const file = join(dir, "functions.ts")
    // The module's own timer, not one a durable function set (that one the server logs and survives): the process
    // ends. The function arms it.
    const crashing = `import { durable } from ${JSON.stringify(REPRISE)}
const bomb = { armed: false }
setInterval(() => { if (bomb.armed) throw new Error("late boom") }, 10).unref()
export const boom = durable("boom", async () => {
  bomb.armed = true
  return "started"
})
`
    writeFileSync(file, crashing)
    const { url, child, exited, stderr } = await devServing(file, dir)
    try {
      await until(async () => (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) || undefined, "the server", 20_000)
      await fetch(`${url}/v1/functions/boom/executions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
      await until(async () => (stderr().includes("reprise dev: the server stopped (exit code 1)") ? true : undefined), "the death to be reported", 20_000)
      await assertUnreachable(url)
      writeFileSync(file, crashing.replace("late boom", "late boom again"))
      await until(async () => (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) || undefined, "the server back", 20_000)
    } finally {
      child.kill("SIGTERM")
    }
    assert.strictEqual((await exited).code, 0)
  }, 90_000)
})
