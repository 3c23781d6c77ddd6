/**
 * `reprise fire` (a pending wait succeeds now, on a development server only) and `reprise list`'s search options,
 * against real servers, each command run as its own process.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { reprise, until } from "./cli-fixture.ts"

const nap = durable("nap", async (input: { who: string }, ctx) => {
  await ctx.wait("a-day", { days: 1 })
  return `${input.who} woke`
})

let dir: string
let dev: Server
let production: Server
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-fire-"))
  dev = await serve({ functions: [nap], dbPath: join(dir, "dev.db"), port: 0, devTools: true, handleSignals: false })
  production = await serve({ functions: [nap], dbPath: join(dir, "prod.db"), port: 0, handleSignals: false })
})
afterAll(async () => {
  await dev?.close()
  await production?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** Starts nap as `id` and returns its wait's operation id once it waits. */
const napping = async (server: Server, id: string, who: string): Promise<string> => {
  const started = await reprise(["start", "nap", "--name", id, "--input", JSON.stringify({ who })], { REPRISE_URL: server.url })
  assert.strictEqual(started.code, 0, started.stderr)
  return until(async () => {
    const got = await reprise(["get", id, "--json"], { REPRISE_URL: server.url })
    return JSON.parse(got.stdout).operations.find((op: { type: string; status: string }) => op.type === "WAIT" && op.status === "STARTED")?.id as string | undefined
  }, "the wait")
}

describe("reprise fire and reprise list's search", () => {
  it("fire: the wait succeeds now on a development server; a production server refuses (exit 1, nothing changes)", async () => {
    const waitId = await napping(dev, "nap-dev", "ada")
    const fired = await reprise(["fire", "nap-dev", waitId], { REPRISE_URL: dev.url })
    assert.strictEqual(fired.code, 0, fired.stderr)
    assert.match(fired.stdout, new RegExp(`^fired wait ${waitId} of nap-dev`))
    const ended = await reprise(["get", "nap-dev", "--follow", "--timeout", "10"], { REPRISE_URL: dev.url })
    assert.strictEqual(ended.code, 0, ended.stderr)
    assert.match(ended.stdout, /result +"ada woke"/)
    const again = await reprise(["fire", "nap-dev", waitId], { REPRISE_URL: dev.url })
    assert.strictEqual(again.code, 1)
    assert.match(again.stderr, /The operation is not a pending wait: .*is SUCCEEDED, not waiting/)

    const prodWait = await napping(production, "nap-prod", "bob")
    const refused = await reprise(["fire", "nap-prod", prodWait], { REPRISE_URL: production.url })
    assert.strictEqual(refused.code, 1)
    assert.match(refused.stderr, /Only a development server allows this/)
    assert.strictEqual(JSON.parse((await reprise(["get", "nap-prod", "--json"], { REPRISE_URL: production.url })).stdout).status, "RUNNING")
    const usage = await reprise(["fire", "nap-prod"], { REPRISE_URL: production.url })
    assert.strictEqual(usage.code, 2)
  }, 60_000)

  it("list --input-contains, --started-after and --started-before", async () => {
    const env = { REPRISE_URL: dev.url }
    await napping(dev, "nap-cleo", "Cleopatra")
    const byInput = await reprise(["list", "--input-contains", "cleo", "--json"], env)
    assert.strictEqual(byInput.code, 0, byInput.stderr)
    assert.deepStrictEqual(JSON.parse(byInput.stdout).executions.map((e: { executionId: string }) => e.executionId), ["nap-cleo"])
    const none = await reprise(["list", "--started-before", "2020-01-01T00:00:00Z"], env)
    assert.strictEqual(none.stdout.trim(), "No executions.")
    const all = await reprise(["list", "--started-after", "2020-01-01T00:00:00Z", "--json"], env)
    assert.include(JSON.parse(all.stdout).executions.map((e: { executionId: string }) => e.executionId), "nap-cleo")
    const bad = await reprise(["list", "--started-after", "yesterday"], env)
    assert.strictEqual(bad.code, 2, "a usage error, refused before any request")
    assert.match(bad.stderr, /--started-after must be an ISO 8601 time/)
    // A day its month does not have went to the server, which refused it (exit 1); a range that is empty listed nothing.
    const noSuchDay = await reprise(["list", "--started-after", "2026-02-30T00:00:00Z"], env)
    assert.strictEqual(noSuchDay.code, 2, noSuchDay.stderr)
    assert.match(noSuchDay.stderr, /--started-after must be an ISO 8601 time such as 2026-05-01T12:00:00Z, not "2026-02-30T00:00:00Z"/)
    const reversed = await reprise(["list", "--started-after", "2026-05-02T00:00:00Z", "--started-before", "2026-05-01T00:00:00+01:00"], env)
    assert.strictEqual(reversed.code, 2, reversed.stderr)
    assert.match(reversed.stderr, /--started-after must be earlier than --started-before/)
  }, 60_000)

  it("list --ended-after and --ended-before: an execution started earlier that ended since, never one still running", async () => {
    const env = { REPRISE_URL: dev.url }
    await napping(dev, "nap-eve", "Eve")
    const ids = async (args: Array<string>) => {
      const listed = await reprise(["list", ...args, "--json"], env)
      assert.strictEqual(listed.code, 0, listed.stderr)
      return JSON.parse(listed.stdout).executions.map((e: { executionId: string }) => e.executionId) as Array<string>
    }
    assert.notInclude(await ids(["--ended-after", "2020-01-01T00:00:00Z"]), "nap-eve", "still running")
    const beforeStop = new Date().toISOString()
    assert.strictEqual((await reprise(["stop", "nap-eve"], env)).code, 0)
    assert.include(await ids(["--ended-after", beforeStop]), "nap-eve")
    assert.notInclude(await ids(["--ended-before", beforeStop]), "nap-eve")
    const bad = await reprise(["list", "--ended-before", "an hour ago"], env)
    assert.strictEqual(bad.code, 2, "a usage error, refused before any request")
    assert.match(bad.stderr, /--ended-before must be an ISO 8601 time/)
    const reversed = await reprise(["list", "--ended-after", "2026-05-01T00:00:00Z", "--ended-before", "2026-05-01T00:00:00Z"], env)
    assert.strictEqual(reversed.code, 2, reversed.stderr)
    assert.match(reversed.stderr, /--ended-after must be earlier than --ended-before \(nothing ends in between\)/)
  }, 60_000)

  it("list --function with a name the server does not register says so, where a registered one with none does not", async () => {
    const env = { REPRISE_URL: production.url }
    const misspelt = await reprise(["list", "--function", "npa", "--status", "FAILED"], env)
    assert.strictEqual(misspelt.code, 0, misspelt.stderr)
    assert.strictEqual(misspelt.stdout.trim(), 'No executions. The server registers no function "npa" (registered: nap).')
    const none = await reprise(["list", "--function", "nap", "--status", "FAILED"], env)
    assert.strictEqual(none.stdout.trim(), "No executions.")
    // --json stays the API's answer.
    assert.deepStrictEqual(JSON.parse((await reprise(["list", "--function", "npa", "--json"], env)).stdout), { executions: [] })
  }, 60_000)
})
