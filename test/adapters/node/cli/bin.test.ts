/**
 * The `reprise` process itself (adapters/node/cli/bin.ts): what it does when its reader goes away, against a real
 * server (serve() on a free port, a temporary SQLite file).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { finish, reprise, start } from "./cli-fixture.ts"

// A result far larger than a pipe's buffer (64 KiB on Linux): `get` is still writing it when the reader has gone.
const large = durable("large", async (_: unknown, ctx) => ctx.step("text", async () => "x".repeat(200_000)))

let dir: string
let server: Server
let env: Record<string, string>
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-bin-"))
  server = await serve({ functions: [large], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "none" } })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise's process", () => {
  it("ends quietly, exit 0, when its reader closes the pipe early (reprise get … | head -1)", async () => {
    const started = await reprise(["start", "large", "--wait", "--json"], env)
    assert.strictEqual(started.code, 0, started.stderr)
    const id = (JSON.parse(started.stdout) as { executionId: string }).executionId

    const child = start(["get", id], env)
    // As `head -1` does: read the first chunk, then close the pipe.
    child.stdout!.once("data", () => child.stdout!.destroy())
    const result = await finish(child)
    assert.strictEqual(result.stderr, "")
    assert.strictEqual(result.code, 0)
  }, 30_000)
})
