/**
 * `reprise emissions` and `reprise get --follow` on the SSE streams, against a real server (serve() on a free port,
 * a temporary SQLite file), each command its own process.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { finish, reprise, start } from "./cli-fixture.ts"

const chatter = durable("chatter", async (input: { words: Array<string> }, ctx) => {
  for (const [i, word] of input.words.entries()) {
    await ctx.emit("word", { i, word })
    await ctx.wait({ seconds: 1 })
  }
  return input.words.length
})

/** Emits, then fails: the emissions were all sent, but the execution did not succeed. */
const grumble = durable("grumble", async (_input: unknown, ctx) => {
  await ctx.emit("word", "hmm")
  throw new Error("no more words")
})

let dir: string
let server: Server
let env: Record<string, string>
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-emit-"))
  server = await serve({ functions: [chatter, grumble], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, logging: { level: "none" } })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const startChatter = async (words: Array<string>) => {
  const started = await reprise(["start", "chatter", "--input", JSON.stringify({ words }), "--json"], env)
  assert.strictEqual(started.code, 0, started.stderr)
  return JSON.parse(started.stdout).executionId as string
}

describe("reprise emissions", () => {
  it("--follow prints each emission live, once, and exits 0 when the execution ends; then without --follow, and --json", async () => {
    const id = await startChatter(["alpha", "beta", "gamma"])
    const followed = await finish(start(["emissions", id, "--follow", "--timeout", "30"], env), 40_000)
    assert.strictEqual(followed.code, 0, followed.stderr)
    const lines = followed.stdout.trim().split("\n")
    assert.strictEqual(lines.length, 3, followed.stdout)
    for (const [i, word] of ["alpha", "beta", "gamma"].entries()) {
      assert.match(lines[i]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+word\\s+\\{"i":${i},"word":"${word}"\\}$`))
    }

    const recorded = await reprise(["emissions", id], env)
    assert.strictEqual(recorded.code, 0, recorded.stderr)
    assert.deepStrictEqual(recorded.stdout.trim().split("\n"), lines)

    const asJson = await reprise(["emissions", id, "--json"], env)
    const parsed = asJson.stdout.trim().split("\n").map((line) => JSON.parse(line) as { topic: string; value: { word: string }; seq: number })
    assert.deepStrictEqual(parsed.map((e) => [e.topic, e.value.word]), [["word", "alpha"], ["word", "beta"], ["word", "gamma"]])
    assert.isTrue(parsed.every((e, i) => i === 0 || e.seq > parsed[i - 1]!.seq))
  }, 60_000)

  it("--follow exits 1 when the execution ended FAILED, as get --follow does, saying so on stderr after the emissions", async () => {
    const started = await reprise(["start", "grumble", "--json"], env)
    const id = JSON.parse(started.stdout).executionId as string
    const followed = await finish(start(["emissions", id, "--follow", "--timeout", "30"], env), 40_000)
    assert.strictEqual(followed.code, 1, followed.stderr)
    assert.match(followed.stdout.trim(), /\s+word\s+"hmm"$/)
    assert.strictEqual(followed.stderr, `reprise: execution ${id} ended FAILED: Error: no more words\n`)
    assert.strictEqual((await reprise(["get", id, "--follow"], env)).code, 1, "the same exit as get --follow")
  }, 60_000)

  it("get --follow streams the events (emissions shown as such) until the end; --timeout gives up with exit 6", async () => {
    const id = await startChatter(["one", "two"])
    const followed = await reprise(["get", id, "--follow", "--timeout", "30"], env)
    assert.strictEqual(followed.code, 0, followed.stderr)
    assert.match(followed.stderr, /word · 1\s+emitted \{"i":0,"word":"one"\}/)
    assert.match(followed.stderr, /word · 3\s+emitted \{"i":1,"word":"two"\}/)
    assert.strictEqual(followed.stderr.match(/emitted/g)?.length, 2, "each event once")
    assert.match(followed.stdout, /status\s+SUCCEEDED/)

    const slow = await startChatter(Array.from({ length: 40 }, (_, i) => `w${i}`)) // 40 s: still running when both give up
    const givenUp = await reprise(["get", slow, "--follow", "--timeout", "1"], env)
    assert.strictEqual(givenUp.code, 6, givenUp.stderr)
    assert.include(givenUp.stderr, "still running after 1 s")
    const emissionsGivenUp = await reprise(["emissions", slow, "--follow", "--timeout", "1"], env)
    assert.strictEqual(emissionsGivenUp.code, 6, emissionsGivenUp.stderr)
  }, 60_000)

  it("an execution that emitted nothing says so (JSON lines: none)", async () => {
    const id = await startChatter([])
    await reprise(["get", id, "--follow", "--timeout", "30"], env)
    const silent = await reprise(["emissions", id], env)
    assert.deepStrictEqual([silent.code, silent.stdout.trim()], [0, `Execution ${id} emitted nothing (ctx.emit).`])
    const asJson = await reprise(["emissions", id, "--json"], env)
    assert.deepStrictEqual([asJson.code, asJson.stdout], [0, ""])
  }, 60_000)

  it("an unknown execution is exit 5", async () => {
    const missing = await reprise(["emissions", "no-such-execution", "--follow"], env)
    assert.strictEqual(missing.code, 5, missing.stderr)
  })
})
