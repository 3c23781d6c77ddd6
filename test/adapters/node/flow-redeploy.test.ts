/**
 * A redeploy that drops a function's flow control (its concurrency limit taken out of the code) while executions of
 * it wait in its queue: after the restart on the same SQLite file they run, each once (before, they stayed QUEUED
 * for good, and a stop of one was refused as not running). One that removes the function altogether leaves them
 * QUEUED, but a stop of one now ends it (it answered 409, "is QUEUED, not RUNNING", and nothing could end it).
 */
import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { durable } from "reprise"
import { serve } from "../../../adapters/node/serve.ts"

const ran: Array<string> = []
let release!: () => void
const blocker = new Promise<void>((resolve) => (release = resolve))

const body = async (input: string, first: boolean) => {
  ran.push(input)
  if (first && input === "job-0") await blocker // holds the only slot until the server closes
  return input
}
const limited = durable("batch", async (input: string, ctx) => ctx.step("work", () => body(input, true)), { concurrency: 1 })
const unlimited = durable("batch", async (input: string, ctx) => ctx.step("work", () => body(input, false)))

const statusOf = async (url: string, id: string) => ((await (await fetch(`${url}/v1/executions/${id}`)).json()) as { status: string }).status

describe("a redeploy without the function's flow control", () => {
  it("runs the executions left QUEUED by the limit it had, each once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-flow-redeploy-"))
    const dbPath = join(dir, "reprise.db")
    const ids = ["job-0", "job-1", "job-2"]
    try {
      const before = await serve({ functions: [limited], dbPath, port: 0, handleSignals: false, logging: { level: "none" } })
      for (const id of ids) {
        const res = await fetch(`${before.url}/v1/functions/batch/executions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input: id, executionName: id })
        })
        assert.strictEqual(res.status, 201)
      }
      assert.strictEqual(await statusOf(before.url, "job-2"), "QUEUED")
      await before.close()
      release()

      const after = await serve({ functions: [unlimited], dbPath, port: 0, handleSignals: false, logging: { level: "none" } })
      try {
        let statuses: Array<string> = []
        for (let i = 0; i < 100; i++) {
          statuses = await Promise.all(ids.map((id) => statusOf(after.url, id)))
          if (statuses.every((status) => status === "SUCCEEDED")) break
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        assert.deepStrictEqual(statuses, ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
        // job-0 ran on both servers (its body was cut off by the close); the queued ones ran once, on the second.
        assert.deepStrictEqual(ran.filter((input) => input !== "job-0").sort(), ["job-1", "job-2"])
      } finally {
        await after.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)

  it("stops an execution left QUEUED by a function the deploy removed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-flow-removed-"))
    const dbPath = join(dir, "reprise.db")
    const held = durable("held", async (input: string, ctx) => ctx.step("work", () => (input === "first" ? new Promise<string>(() => {}) : input)), { concurrency: 1 })
    const other = durable("other", async () => "ok")
    const post = (url: string, path: string, body: unknown) =>
      fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    try {
      const before = await serve({ functions: [held], dbPath, port: 0, handleSignals: false, logging: { level: "none" } })
      await post(before.url, "/v1/functions/held/executions", { input: "first", executionName: "h-first" })
      await post(before.url, "/v1/functions/held/executions", { input: "queued", executionName: "h-queued" })
      assert.strictEqual(await statusOf(before.url, "h-queued"), "QUEUED")
      await before.close()

      const after = await serve({ functions: [other], dbPath, port: 0, handleSignals: false, logging: { level: "none" } })
      try {
        const stop = await post(after.url, "/v1/executions/h-queued/stop", {})
        const text = await stop.text()
        assert.strictEqual(stop.status, 200, text)
        assert.strictEqual((JSON.parse(text) as { status: string }).status, "STOPPED")
        assert.strictEqual(await statusOf(after.url, "h-queued"), "STOPPED")
      } finally {
        await after.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)
})
