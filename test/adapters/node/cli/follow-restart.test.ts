/**
 * `reprise get --follow` across a server restart: it keeps reconnecting (a capped backoff) until --timeout, so a
 * server down for longer than a few retries is followed again once it is back, and the execution's end is printed.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { backoffMs } from "../../../../adapters/node/cli/follow-stream.ts"
import { durable } from "../../../../src/index.ts"
import { finish, freePort, reprise, start, waitForStderr } from "./cli-fixture.ts"

const napper = durable("napper", async (_input: unknown, ctx) => {
  await ctx.step("before", async () => "a")
  await ctx.wait("nap", { seconds: 2 })
  return ctx.step("after", async () => "woke")
})

let dir: string
let port: number
let server: Server | undefined
const open = async () => (server = await serve({ functions: [napper], dbPath: join(dir, "reprise.db"), port, handleSignals: false }))

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-restart-"))
  port = await freePort()
  await open()
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("reprise get --follow across a server restart", () => {
  it("reconnects after the server was down for 6 s (longer than the old 5 retries) and prints the end; exit 0", async () => {
    const env = { REPRISE_URL: `http://127.0.0.1:${port}` }
    const started = await reprise(["start", "napper", "--json"], env)
    assert.strictEqual(started.code, 0, started.stderr)
    const id = JSON.parse(started.stdout).executionId as string
    const follower = start(["get", id, "--follow", "--timeout", "25"], env)
    const ended = finish(follower, 35_000) // listening from the start: an early exit is seen, not missed
    await waitForStderr(follower, /waiting/)
    await server!.close()
    server = undefined
    await new Promise((resolve) => setTimeout(resolve, 6_000))
    await open()
    const result = await ended
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stdout, /status\s+SUCCEEDED/)
    assert.match(result.stdout, /result\s+"woke"/)
  }, 40_000)

  it("backs off doubling from 200 ms, capped at 3 s", () => {
    assert.deepStrictEqual([1, 2, 3, 4, 5, 6, 50].map(backoffMs), [200, 400, 800, 1600, 3000, 3000, 3000])
  })
})
