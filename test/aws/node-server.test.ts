/**
 * AWS-SDK handlers on the Node server (real SQLite file, real HTTP on 127.0.0.1): a callback completed with the
 * `reprise` command over Reprise's HTTP API, a real one-second wait, retries on real timers, an invoke, and the
 * execution shown by the API and the CLI like any other.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { serve } from "reprise/node"
import { reprise } from "../adapters/node/cli/cli-fixture.ts"
import { beside, counters, double, flaky, tour } from "./fixtures/aws-handlers.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const dir = mkdtempSync(join(tmpdir(), "reprise-aws-node-"))
let server: Awaited<ReturnType<typeof serve>>
let base = ""

const get = async (path: string) => (await fetch(`${base}${path}`)).json() as Promise<any>
const post = async (path: string, body: unknown) =>
  (await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<any>

/** Polls the execution until `check` holds (bounded). */
const until = async (id: string, check: (execution: any) => boolean, ms: number, what: string) => {
  const deadline = Date.now() + ms
  let last: any
  while (Date.now() < deadline) {
    last = await get(`/v1/executions/${encodeURIComponent(id)}?operations=true`)
    if (check(last)) return last
    await sleep(25)
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`)
}

describe("awsHandler on the Node server", () => {
  beforeAll(async () => {
    server = await serve({ functions: [tour, double, flaky, beside], dbPath: join(dir, "reprise.db"), port: 0, hostname: "127.0.0.1", logging: { level: "none" } })
    base = `http://127.0.0.1:${server.port}`
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("waits, invokes, and resumes on a callback completed with the reprise command", async () => {
    counters.clear()
    const started = await post("/v1/functions/aws-tour/executions", { input: { n: 4, pause: 1 }, executionName: "tour-1" })
    assert.strictEqual(started.executionId, "tour-1")
    const waiting = await until("tour-1", (e) => e.operations.some((op: any) => op.type === "CALLBACK" && op.status === "STARTED"), 20_000, "the callback")
    const callback = waiting.operations.find((op: any) => op.type === "CALLBACK")
    assert.match(callback.callbackId, /.+/)
    // AWS callbacks take any text (its SDK passes the payload through): --raw sends it as it is.
    const sent = await reprise(["callback", callback.callbackId, "succeed", "approved", "--raw", "--url", base])
    assert.strictEqual(sent.code, 0, sent.stderr)
    const done = await until("tour-1", (e) => e.status !== "RUNNING", 20_000, "the end")
    assert.strictEqual(done.status, "SUCCEEDED", JSON.stringify(done.error))
    assert.deepStrictEqual(done.result, { base: 4, child: 50, squares: [1, 4, 9], doubled: 8, approval: "approved", after: "done" })
    assert.strictEqual(counters.get("base"), 1)
    assert.strictEqual(counters.get("after"), 1)
    const pause = done.operations.find((op: any) => op.name === "pause")
    assert.strictEqual(pause.status, "SUCCEEDED")
    // Not before its time. (Not "endedAt - startedAt >= 1 s": `until` is reckoned when the SDK asks for the wait and
    // the WaitStarted is stamped at its append, a few ms later on a loaded machine: 994 ms seen in a loaded sweep.)
    assert.isAtLeast(Date.parse(pause.endedAt), Date.parse(pause.waitUntil))
    assert.isAbove(Date.parse(pause.waitUntil), Date.parse(pause.startedAt))

    const child = await get(`/v1/executions/${encodeURIComponent("tour-1:invoke:5")}`)
    assert.strictEqual(child.functionName, "aws-double")
    assert.strictEqual(child.result, 8)

    // The CLI shows it like any execution: its operations by name and positional id.
    const shown = await reprise(["get", "tour-1", "--url", base])
    assert.strictEqual(shown.code, 0, shown.stderr)
    for (const text of ["SUCCEEDED", "approval", "squares", "double-it", "inner-b"]) assert.include(shown.stdout, text)
    // And so does the console's page for it.
    const consolePage = await fetch(`${base}/console/executions/tour-1`)
    assert.strictEqual(consolePage.status, 200)
    const html = await consolePage.text()
    for (const text of ["SUCCEEDED", "approval", "squares", "double-it", "inner-b", "aws-tour"]) assert.include(html, text)
    const history = await reprise(["history", "tour-1", "--url", base, "--json"])
    const tags = JSON.parse(history.stdout).events.map((e: any) => e._tag)
    assert.includeMembers(tags, ["WaitStarted", "WaitSucceeded", "InvokeStarted", "InvokeSucceeded", "CallbackStarted", "CallbackSucceeded", "ExecutionSucceeded"])
  }, 60_000)

  it("retries a failing step on real timers", async () => {
    counters.clear()
    const response = await fetch(`${base}/v1/functions/aws-flaky/executions?wait=30`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: { id: "o-9" } })
    })
    const answer = await response.json() as any
    assert.strictEqual(answer.status, "SUCCEEDED", JSON.stringify(answer))
    // The answer is lean (counts, no operations): the operations come on request.
    const done = await get(`/v1/executions/${encodeURIComponent(answer.executionId)}?operations=true`)
    assert.deepStrictEqual(done.result, { charged: "charged-o-9-on-3" })
    assert.strictEqual(counters.get("charge"), 3)
    assert.strictEqual(done.operations.find((op: any) => op.name === "charge").attempt, 3)
  }, 60_000)

  it("completes a wait while another branch's step still runs in the same invocation", async () => {
    counters.clear()
    const response = await fetch(`${base}/v1/functions/aws-beside/executions?wait=30`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: {} })
    })
    const answer = await response.json() as any
    assert.strictEqual(answer.status, "SUCCEEDED", JSON.stringify(answer))
    // The answer is lean (counts, no operations): the operations come on request.
    const done = await get(`/v1/executions/${encodeURIComponent(answer.executionId)}?operations=true`)
    assert.deepStrictEqual(done.result, ["slow", "rested"])
    assert.strictEqual(counters.get("slow"), 1)
    const nap = done.operations.find((op: any) => op.name === "short-nap")
    const after = done.operations.find((op: any) => op.name === "after-nap")
    const slow = done.operations.find((op: any) => op.name === "slow-step")
    // The branch went on once its wait was over, before the slow step ended: the SDK heard of it by polling.
    assert.isBelow(Date.parse(after.endedAt), Date.parse(slow.endedAt))
    assert.isAtLeast(Date.parse(nap.endedAt), Date.parse(nap.waitUntil), "not before its time (see the first test)")
  }, 60_000)
})
