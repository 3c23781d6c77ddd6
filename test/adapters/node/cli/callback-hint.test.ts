/**
 * The "complete it with" hint of `get --follow` (adapters/node/cli/callback-hint.ts), run as its own process against
 * a real server: the stream sends past events first, and a callback completed since is not hinted.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { run } from "../../../../adapters/node/cli/main.ts"
import { serve, type Server } from "../../../../adapters/node/serve.ts"
import { durable } from "../../../../src/index.ts"
import { reprise, until } from "./cli-fixture.ts"

/** Two callbacks, one after the other: the first completed, the second waits. */
const twoApprovals = durable("two-approvals", async (_input: unknown, ctx) => {
  const [first] = await ctx.createCallback("first")
  const one = await first
  const [second] = await ctx.createCallback("second")
  return [one, await second]
})

/** Many callbacks waiting at once. */
const manyApprovals = durable("many-approvals", async (_input: unknown, ctx) => {
  const answers: Array<Promise<unknown>> = []
  for (let i = 0; i < 20; i++) answers.push((await ctx.createCallback(`approval-${i}`))[0])
  return Promise.all(answers)
})

let dir: string
let server: Server
let env: Record<string, string>

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-hint-"))
  server = await serve({ functions: [twoApprovals, manyApprovals], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
  env = { REPRISE_URL: server.url }
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const waitingCallback = (executionId: string, name: string) =>
  until(async () => {
    const got = JSON.parse((await reprise(["get", executionId, "--json"], env)).stdout)
    return got.operations.find((op: any) => op.name === name && op.status === "STARTED")?.callbackId as string | undefined
  }, `the ${name} callback`)

const hinted = (stderr: string) => [...stderr.matchAll(/complete it with: reprise callback (\S+) succeed/g)].map((match) => match[1])

describe("get --follow's callback hint", () => {
  it("names only the callbacks still waiting when it prints, not those completed since they started", async () => {
    const started = await reprise(["start", "two-approvals", "--name", "hint-1", "--json"], env)
    assert.strictEqual(started.code, 0, started.stderr)
    const first = await waitingCallback("hint-1", "first")
    const waitingFirst = await reprise(["get", "hint-1", "--follow", "--timeout", "1"], env)
    assert.strictEqual(waitingFirst.code, 6, waitingFirst.stderr)
    assert.deepStrictEqual(hinted(waitingFirst.stderr), [first])

    assert.strictEqual((await reprise(["callback", first, "succeed", '"yes"'], env)).code, 0)
    const second = await waitingCallback("hint-1", "second")
    const waitingSecond = await reprise(["get", "hint-1", "--follow", "--timeout", "1"], env)
    assert.strictEqual(waitingSecond.code, 6, waitingSecond.stderr)
    assert.strictEqual([...waitingSecond.stderr.matchAll(/waiting for callback/g)].length, 2, waitingSecond.stderr)
    assert.deepStrictEqual(hinted(waitingSecond.stderr), [second], "the completed first callback is not hinted")

    assert.strictEqual((await reprise(["callback", second, "succeed", '"also"'], env)).code, 0)
    await until(async () => (JSON.parse((await reprise(["get", "hint-1", "--json"], env)).stdout).status === "SUCCEEDED" ? true : undefined), "the end")
    const ended = await reprise(["get", "hint-1", "--follow", "--timeout", "10"], env)
    assert.strictEqual(ended.code, 0, ended.stderr)
    assert.deepStrictEqual(hinted(ended.stderr), [], "an ended execution's callbacks wait for nothing")
  }, 120_000)

  // Once per callback, an execution of thousands of operations was read thousands of times (the review: 300 reads and
  // 22 MB for 300 callbacks).
  it("reads the execution once per follow, however many callbacks it shows", async () => {
    const started = await reprise(["start", "many-approvals", "--name", "hint-many", "--json"], env)
    assert.strictEqual(started.code, 0, started.stderr)
    await until(async () => {
      const got = JSON.parse((await reprise(["get", "hint-many", "--json"], env)).stdout)
      return got.operations.filter((op: any) => op.type === "CALLBACK").length === 20 ? true : undefined
    }, "the 20 callbacks")
    const real = globalThis.fetch
    let reads = 0
    globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      if (String(input instanceof Request ? input.url : input).includes("operations=true")) reads++
      return real(input, init)
    }) as typeof fetch
    const lines: Array<string> = []
    try {
      const code = await run(["get", "hint-many", "--follow", "--timeout", "1"], { out: () => undefined, err: (line) => void lines.push(line), env })
      assert.strictEqual(code, 6)
    } finally {
      globalThis.fetch = real
    }
    assert.strictEqual(hinted(lines.join("\n")).length, 20)
    assert.strictEqual(reads, 1)
  }, 120_000)
})
