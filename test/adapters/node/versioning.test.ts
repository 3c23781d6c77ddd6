/**
 * Versioning on the Node server, as a user deploys it: v1 serves, an execution suspends on a callback, the server
 * stops, v2 (changed with ctx.patched) serves the same SQLite file. The old execution finishes on the old path, a
 * new one on the new path, and the replay check (reprise/testing) passes both histories from the HTTP API, while
 * the same change without `patched` is reported non-deterministic at the operation that moved.
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { replayCheck } from "../../../src/testing/index.ts"
import { signupV1, signupV2, signupV2Unguarded } from "./fixtures/signup-versions.ts"

const callbacks: Array<string> = []
const ran: Array<string> = []
const hooks = { ran: (step: string) => void ran.push(step), confirm: (callbackId: string) => void callbacks.push(callbackId) }
const v1 = signupV1(hooks)
const v2 = signupV2(hooks)
const v2Unguarded = signupV2Unguarded(hooks)

const call = async (server: Server, method: string, path: string, body?: unknown) => {
  const response = await fetch(server.url + path, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const ended = (server: Server, id: string) =>
  until(async () => (await call(server, "GET", `/v1/executions/${id}`)).body.status !== "RUNNING", `${id} to end`)

describe("versioning on the Node server", () => {
  it("an execution suspended under v1 finishes on the old path under v2, a new one takes the new path, and the replay check agrees", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-versioning-"))
    const dbPath = join(dir, "reprise.db")
    callbacks.length = 0
    ran.length = 0
    try {
      const first = await serve({ functions: [v1], dbPath, port: 0, handleSignals: false })
      const old = await call(first, "POST", "/v1/functions/signup/executions", { input: { name: "ada" }, executionName: "old" })
      assert.strictEqual(old.status, 201)
      await until(async () => callbacks.length === 1, "v1 to hand out its callback")
      await first.close()
      assert.deepStrictEqual(ran, ["create"])

      const second = await serve({ functions: [v2], dbPath, port: 0, handleSignals: false })
      try {
        const fresh = await call(second, "POST", "/v1/functions/signup/executions", { input: { name: "bob" }, executionName: "new" })
        assert.strictEqual(fresh.status, 201)
        await until(async () => callbacks.length === 2, "v2 to hand out its callback")
        for (const id of callbacks) {
          assert.strictEqual((await call(second, "POST", `/v1/callbacks/${encodeURIComponent(id)}/succeed`, { result: "\"ok\"" })).status, 204)
        }
        await ended(second, "old")
        await ended(second, "new")

        const oldView = (await call(second, "GET", "/v1/executions/old?operations=true")).body
        const newView = (await call(second, "GET", "/v1/executions/new?operations=true")).body
        assert.deepStrictEqual([oldView.status, oldView.result, oldView.version], ["SUCCEEDED", "old", "v1"])
        assert.deepStrictEqual([newView.status, newView.result, newView.version], ["SUCCEEDED", "new", "v2"])
        assert.deepStrictEqual(oldView.operations.map((op: { name?: string }) => op.name), ["create", "confirm", undefined, undefined, "welcome-email"])
        assert.deepStrictEqual(newView.operations.map((op: { name?: string }) => op.name), ["create", "audit", "confirm", undefined, undefined, "welcome-sms"])
        // Every step body ran once: create for each, audit and sms only for the new one, email only for the old.
        assert.deepStrictEqual([...ran].sort(), ["audit", "create", "create", "email", "sms"])

        // list shows the version and filters by it (SQLite).
        const listed = (await call(second, "GET", "/v1/executions?function=signup")).body.executions
        assert.deepStrictEqual(listed.map((e: { executionId: string; version: string }) => [e.executionId, e.version]).sort(), [["new", "v2"], ["old", "v1"]])
        const byVersion = (await call(second, "GET", "/v1/executions?version=v1")).body.executions
        assert.deepStrictEqual(byVersion.map((e: { executionId: string }) => e.executionId), ["old"])
        assert.deepStrictEqual((await call(second, "GET", "/v1/executions?version=v3")).body.executions, [])

        // The histories, as the API serves them, are the replay check's input.
        const histories = [(await call(second, "GET", "/v1/executions/old/history")).body, (await call(second, "GET", "/v1/executions/new/history")).body]
        assert.ok(histories[1].events.some((e: { _tag: string; patchId?: string }) => e._tag === "PatchMarked" && e.patchId === "audit"))
        assert.ok(!histories[0].events.some((e: { _tag: string }) => e._tag === "PatchMarked"))
        const before = ran.length
        const clean = await replayCheck([v2], histories)
        assert.deepStrictEqual(clean.map((r) => [r.executionId, r.verdict]), [["old", "replays cleanly"], ["new", "replays cleanly"]])
        assert.strictEqual(ran.length, before, "the replay check runs no step body")

        const unguarded = await replayCheck([v2Unguarded], histories)
        const [oldReport, newReport] = unguarded
        assert.strictEqual(oldReport!.verdict, "non-deterministic")
        if (oldReport!.verdict !== "non-deterministic") return
        assert.strictEqual(oldReport!.operationId, "2")
        assert.deepStrictEqual(oldReport!.recorded, { type: "CONTEXT", subType: "WaitForCallback", name: "confirm" })
        assert.deepStrictEqual(oldReport!.call, { type: "STEP", subType: "Step", name: "audit" })
        assert.strictEqual(newReport!.verdict, "replays cleanly")

        // And v1's code against the new history: the step it no longer has at 2.
        const [, backwards] = await replayCheck([v1], histories)
        assert.strictEqual(backwards!.verdict, "non-deterministic")
        assert.strictEqual(ran.length, before)
      } finally {
        await second.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
