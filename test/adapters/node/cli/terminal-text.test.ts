/**
 * The server's text (an error message, a step name, an emission's topic) reaches the terminal with its control
 * characters escaped: no escape sequence runs, no line break in a field starts a line of its own.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable, retryPresets } from "../../../../src/index.ts"
import { reprise } from "./cli-fixture.ts"

/** Retitles the terminal, clears it, then forges a line that reads like `get`'s own; and a C1 CSI. */
const EVIL = "\u001b]0;pwned\u0007\u001b[2Jok\nstatus     SUCCEEDED\u009b31m"

const hostile = durable("hostile", async (_input: unknown, ctx) => {
  await ctx.emit(EVIL, { text: EVIL })
  return ctx.step(EVIL, async () => {
    throw new Error(EVIL)
  }, { retryStrategy: retryPresets.noRetry })
})

let dir: string
let server: Server
let env: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-terminal-"))
  server = await serve({ functions: [hostile], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** No raw control character but the CLI's own line breaks, and no line that starts with the forged text. */
const assertSafe = (text: string, what: string) => {
  assert.notMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, `${what}: a raw control character`)
  assert.isFalse(text.split("\n").some((line) => line.startsWith("status     SUCCEEDED")), `${what}: a forged line`)
}

describe("reprise prints the server's text with its control characters escaped", () => {
  it("in get, get --follow, history, list, emissions and start --wait", async () => {
    const started = await reprise(["start", "hostile", "--wait", "--timeout", "10"], env)
    assert.strictEqual(started.code, 1, started.stderr)
    assertSafe(started.stdout + started.stderr, "start --wait")
    const id = /started (\S+);/.exec(started.stderr)![1]!
    const got = await reprise(["get", id], env)
    assert.strictEqual(got.code, 0, got.stderr)
    assertSafe(got.stdout, "get")
    assert.include(got.stdout, "\\u001b]0;pwned\\u0007\\u001b[2Jok\\nstatus     SUCCEEDED\\u009b31m")
    for (const args of [["get", id, "--follow"], ["history", id], ["list"], ["emissions", id], ["emissions", id, "--follow"]]) {
      const result = await reprise(args, env)
      assertSafe(result.stdout + result.stderr, args.join(" "))
      assert.include(result.stdout + result.stderr, args[0] === "list" ? "hostile" : "\\u001b", args.join(" "))
    }
    // --json is the API's JSON, the same values (C1 characters written as \u escapes).
    const asJson = await reprise(["get", id, "--json"], env)
    assertSafe(asJson.stdout, "get --json")
    assert.strictEqual(JSON.parse(asJson.stdout).error.errorMessage, EVIL)
  })
})
