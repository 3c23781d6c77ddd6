/**
 * A rewind after a deploy, over HTTP on the Node server (one SQLite file, three servers one after the other): the
 * execution takes the version label of the code that runs it from the rewind on, in describe and in the listing's
 * `?version=` filter; rewound by code without a label, it has none. A fork takes the label of the code that runs it too.
 */
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

const dir = mkdtempSync(join(tmpdir(), "reprise-rewind-version-"))
const dbPath = join(dir, "reprise.db")
let server: Server | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** `checkout` as one deploy has it: its charge step fails while `broken` (no retries), under `version`. */
const checkout = (version: string | undefined, broken: boolean) =>
  durable("checkout", async (_: unknown, ctx) => {
    await ctx.step("reserve", async () => "reserved")
    return ctx.step("charge", async () => {
      if (broken) throw new Error("the charge is broken")
      return "charged"
    }, { retryStrategy: () => ({ shouldRetry: false }) })
  }, version === undefined ? {} : { version })

/** Stops the server that runs (the deploy before) and serves `checkout` as this deploy has it, on the same file. */
const deploy = async (version: string | undefined, broken: boolean) => {
  await server?.close()
  server = await serve({ functions: [checkout(version, broken)], dbPath, port: 0, handleSignals: false })
  return server
}

const call = async (method: "GET" | "POST", path: string, body?: unknown) => {
  const response = await fetch(server!.url + path, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as any }
}

/** The execution's view once it has ended (at most 10 s). */
const ended = async (id: string) => {
  for (let i = 0; i < 1000; i++) {
    const view = (await call("GET", `/v1/executions/${id}`)).body
    if (view.status !== "RUNNING") return view
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`${id} did not end`)
}

const listed = async (query: string) =>
  ((await call("GET", `/v1/executions?${query}`)).body.executions as Array<{ executionId: string; version?: string }>)
    .map((e) => [e.executionId, e.version])

describe("a rewind after a deploy, on the Node server", () => {
  it("records the version of the code that runs the execution now: describe and ?version= follow it, and code without one clears it", async () => {
    await deploy("v1", true)
    for (const id of ["order-1", "order-2"]) {
      assert.strictEqual((await call("POST", "/v1/functions/checkout/executions", { executionName: id })).status, 201)
      const failed = await ended(id)
      assert.strictEqual(failed.status, "FAILED")
      assert.strictEqual(failed.version, "v1")
    }

    // The fix, deployed as v2: order-1 rewound to its charge (operation "2") runs, and is listed, as v2.
    await deploy("v2", false)
    const rewound = await call("POST", "/v1/executions/order-1/rewind", { fromOperation: "2" })
    assert.strictEqual(rewound.status, 200, JSON.stringify(rewound.body))
    const done = await ended("order-1")
    assert.strictEqual(done.status, "SUCCEEDED")
    assert.strictEqual(done.version, "v2")
    assert.strictEqual(done.rewinds, 1)
    assert.deepStrictEqual(await listed("version=v2"), [["order-1", "v2"]])
    assert.deepStrictEqual(await listed("version=v2&status=SUCCEEDED&function=checkout"), [["order-1", "v2"]])
    assert.deepStrictEqual(await listed("version=v1"), [["order-2", "v1"]])
    // The history keeps what the label was at the start.
    const history = (await call("GET", "/v1/executions/order-1/history")).body.events as Array<{ _tag: string; version?: string }>
    assert.deepStrictEqual(history.filter((e) => e.version !== undefined).map((e) => [e._tag, e.version]), [["ExecutionStarted", "v1"], ["ExecutionRewound", "v2"]])
    // A fork made now runs v2's code too, and says so; its source stays as it was (v1, FAILED).
    const forked = await call("POST", "/v1/executions/order-2/fork", { fromOperation: "2" })
    assert.strictEqual(forked.status, 201, JSON.stringify(forked.body))
    const fork = await ended(forked.body.executionId)
    assert.strictEqual(fork.status, "SUCCEEDED")
    assert.strictEqual(fork.version, "v2")
    assert.deepStrictEqual((await listed("version=v2")).map(([id]) => id).sort(), ["order-1", fork.executionId].sort())
    assert.strictEqual((await ended("order-2")).version, "v1")

    // Code deployed without a label: order-2 rewound under it has none, and is listed under no version.
    await deploy(undefined, false)
    assert.strictEqual((await call("POST", "/v1/executions/order-2/rewind", { fromOperation: "2" })).status, 200)
    const unlabelled = await ended("order-2")
    assert.strictEqual(unlabelled.status, "SUCCEEDED")
    assert.strictEqual(unlabelled.version, undefined)
    assert.deepStrictEqual(await listed("version=v1"), [])
    const all = await listed("function=checkout")
    assert.deepStrictEqual(all.sort(), [[fork.executionId, "v2"], ["order-1", "v2"], ["order-2", undefined]].sort())
  }, 60_000)
})
