/**
 * Fork and rewind over HTTP on the Node server (SQLite file, real time), the checks shared with the in-memory app
 * (test/http/fork-rewind-checks.ts), then `reprise fork|rewind` (the real bin in a child process).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { bug, forkRewindChecks, opsFlow, opsWaiting, type Target } from "../../http/fork-rewind-checks.ts"
import { reprise } from "./cli/cli-fixture.ts"

let dir: string
let server: Server

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-fork-"))
  server = await serve({ functions: [opsFlow, opsWaiting], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const target: Target = {
  call: async (method, path, body) => {
    const response = await fetch(server.url + path, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body })
    })
    const text = await response.text()
    return {
      status: response.status,
      type: response.headers.get("content-type") ?? "",
      location: response.headers.get("location") ?? undefined,
      body: text === "" ? undefined : JSON.parse(text)
    }
  },
  // Ended, or waiting on a callback (all that ops-waiting does): bounded at 10 s.
  settled: async (executionId) => {
    for (let i = 0; i < 1000; i++) {
      const view = (await target.call("GET", `/v1/executions/${executionId}?operations=true`)).body
      const waits = view.operations.some((op: { type: string; status: string }) => op.type === "CALLBACK" && op.status === "STARTED")
      if (view.status !== "RUNNING" || waits) return view
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`${executionId} did not settle`)
  }
}

describe("fork and rewind on the Node server", () => {
  it("fork from N reruns N onwards only, the source untouched; a fixed FAILED execution rewinds to SUCCEEDED; wrong requests are problem+json and change nothing", async () => {
    await forkRewindChecks(target, "node")
  })

  it("reprise fork and rewind: the new execution or the rewound one, and a clear error and exit code when refused", async () => {
    bug.on = true
    const started = await target.call("POST", "/v1/functions/ops-flow/executions", JSON.stringify({ executionName: "cli-failed", input: { n: 90_001 } }))
    assert.strictEqual(started.status, 201)
    assert.strictEqual((await target.settled("cli-failed")).status, "FAILED")
    bug.on = false

    const forked = await reprise(["fork", "cli-failed", "--from", "3", "--input", "{\"n\":90002}", "--url", server.url])
    assert.strictEqual(forked.code, 0, forked.stderr)
    const match = /^forked cli-failed before operation 3 as (\S+) \((RUNNING|SUCCEEDED)\)$/.exec(forked.stdout.trim())
    assert.isNotNull(match, forked.stdout)
    const fork = await target.settled(match![1]!)
    assert.strictEqual(fork.status, "SUCCEEDED")
    assert.deepStrictEqual(fork.forkedFrom, { executionId: "cli-failed", operationId: "3" })

    const rewound = await reprise(["rewind", "cli-failed", "--from", "3", "--url", server.url, "--json"])
    assert.strictEqual(rewound.code, 0, rewound.stderr)
    assert.strictEqual(JSON.parse(rewound.stdout).executionId, "cli-failed")
    assert.strictEqual((await target.settled("cli-failed")).status, "SUCCEEDED")

    const again = await reprise(["rewind", "cli-failed", "--from", "3", "--url", server.url])
    assert.strictEqual(again.code, 1)
    assert.strictEqual(again.stderr.trim(), `reprise: The execution cannot be rewound: Execution "cli-failed" is SUCCEEDED, not FAILED, TIMED_OUT or STOPPED`)
    const missing = await reprise(["rewind", "cli-nobody", "--from", "1", "--url", server.url])
    assert.strictEqual(missing.code, 5)
    const usage = await reprise(["fork", "cli-failed", "--url", server.url])
    assert.strictEqual(usage.code, 2)
    assert.include(usage.stderr, "--from")
    const badInput = await reprise(["fork", "cli-failed", "--from", "3", "--input", "{nope", "--url", server.url])
    assert.strictEqual(badInput.code, 2)
    assert.include(badInput.stderr, "--input is not valid JSON")
  }, 120_000) // six runs of the bin, each a fresh Node process
})
