/**
 * What `reprise start` says it did (adapters/node/cli/start-answer.ts), each command run as its own process against a
 * real server: a start that collapsed into a debounced execution still waiting, or repeated a named one, did not start
 * anything.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { reprise } from "./cli-fixture.ts"

/** Waits a minute after its last start: the test ends long before it runs. */
const tidy = durable("tidy", async (input: { n: number }, ctx) => ctx.step("sweep", async () => input.n), {
  debounce: { period: { minutes: 1 } }
})
const plain = durable("plain", async (input: { n: number }, ctx) => ctx.step("echo", async () => input.n))
const other = durable("other", async (input: { n: number }, ctx) => ctx.step("echo", async () => input.n))

let dir: string
let server: Server
let env: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-start-"))
  server = await serve({ functions: [tidy, plain, other], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const line = /^(started|debounced into|already started) (\S+) \((\w+)\)$/

describe("reprise start says what the start did", () => {
  it("debounced into the waiting execution, with or without a name of its own; started only the first", async () => {
    const first = await reprise(["start", "tidy", "--input", '{"n":1}'], env)
    assert.strictEqual(first.code, 0, first.stderr)
    const [, did, id, status] = line.exec(first.stdout.trim()) ?? []
    assert.deepStrictEqual([did, status], ["started", "QUEUED"], first.stdout)

    const second = await reprise(["start", "tidy", "--input", '{"n":2}'], env)
    assert.strictEqual(second.code, 0, second.stderr)
    assert.strictEqual(second.stdout.trim(), `debounced into ${id} (QUEUED)`)
    const named = await reprise(["start", "tidy", "--input", '{"n":3}', "--name", "my-tidy"], env)
    assert.strictEqual(named.stdout.trim(), `debounced into ${id} (QUEUED)`, "the answer names the waiting execution, not my-tidy")
    assert.deepStrictEqual(JSON.parse((await reprise(["get", id!, "--json"], env)).stdout).input, { n: 3 }, "its input replaced")

    const waited = await reprise(["start", "tidy", "--input", '{"n":4}', "--wait", "--timeout", "0.5"], env)
    assert.strictEqual(waited.code, 6, waited.stderr)
    assert.match(waited.stderr, new RegExp(`^debounced into ${id}; following it`))
  }, 60_000)

  it("already started: a repeat of a named start, also under the name scoped to its function", async () => {
    const first = await reprise(["start", "plain", "--input", '{"n":1}', "--name", "plain-1"], env)
    assert.match(first.stdout.trim(), /^started plain-1 \((RUNNING|SUCCEEDED)\)$/)
    const again = await reprise(["start", "plain", "--input", '{"n":1}', "--name", "plain-1"], env)
    assert.strictEqual(again.code, 0, again.stderr)
    assert.match(again.stdout.trim(), /^already started plain-1 \((RUNNING|SUCCEEDED)\)$/)
    // plain-1 is another function's: this one's execution is plain-1~other (src/engine/keyed-start.ts).
    const scoped = await reprise(["start", "other", "--input", '{"n":1}', "--name", "plain-1"], env)
    assert.match(scoped.stdout.trim(), /^started plain-1~other \((RUNNING|SUCCEEDED)\)$/)
    const scopedAgain = await reprise(["start", "other", "--input", '{"n":1}', "--name", "plain-1"], env)
    assert.match(scopedAgain.stdout.trim(), /^already started plain-1~other \((RUNNING|SUCCEEDED)\)$/)
  }, 60_000)
})
