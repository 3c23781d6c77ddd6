/**
 * Stop reaches children over HTTP on the Node server (SQLite, real time): `POST /v1/executions/:id/stop` stops the
 * invoked child and cuts off the running map, no step body starts after it; `{ children: false }` leaves the child;
 * a bad `children` is refused with problem+json and stops nothing.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { stopFunctions } from "../../engine/stop-functions.ts"

const cascade = stopFunctions("http-cascade")
const alone = stopFunctions("http-alone")

let dir: string
let server: Server

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-stop-"))
  server = await serve({ functions: [...cascade.functions, ...alone.functions], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false })
})
afterAll(async () => {
  await server?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const call = async (method: string, path: string, body?: string) => {
  const response = await fetch(server.url + path, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body })
  })
  const text = await response.text()
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: text === "" ? undefined : JSON.parse(text) }
}
const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}
/** Starts the parent; returns the child's id once the long step runs and the child exists. */
const startParent = async (fixture: ReturnType<typeof stopFunctions>, name: string) => {
  const started = await call("POST", `/v1/functions/${fixture.functions[1]!.name}/executions`, JSON.stringify({ executionName: name }))
  assert.strictEqual(started.status, 201)
  await fixture.running
  let childId: string | undefined
  // The child is the one execution of the child function (its id is the engine's to choose).
  await until(async () => {
    const listed = (await call("GET", `/v1/executions?function=${fixture.functions[0]!.name}`)).body
    childId = listed.executions[0]?.executionId
    return childId !== undefined
  }, "the child to start")
  return childId!
}
const statusOf = async (id: string) => (await call("GET", `/v1/executions/${id}`)).body.status as string

describe("stop reaches children on the Node server", () => {
  it("stops the child and the running map; no step body starts after the stop", async () => {
    const childId = await startParent(cascade, "cascade-1")
    assert.strictEqual(await statusOf(childId), "RUNNING")

    const refused = await call("POST", "/v1/executions/cascade-1/stop", JSON.stringify({ children: "yes" }))
    assert.strictEqual(refused.status, 400)
    assert.include(refused.type, "application/problem+json")
    assert.strictEqual(await statusOf("cascade-1"), "RUNNING")
    assert.strictEqual(await statusOf(childId), "RUNNING")

    const stopped = await call("POST", "/v1/executions/cascade-1/stop", JSON.stringify({ error: { errorMessage: "operator" } }))
    assert.strictEqual(stopped.status, 200)
    assert.strictEqual(stopped.body.status, "STOPPED")
    assert.strictEqual(await statusOf(childId), "STOPPED")
    assert.deepStrictEqual(cascade.aborts, ["ExecutionStoppedError"])

    cascade.openGate() // items 1 and 2 go on to their steps: neither body may start
    const again = await call("POST", "/v1/executions/cascade-1/stop", "{}")
    assert.strictEqual(again.status, 409)
    assert.deepStrictEqual(cascade.bodies, ["long"])
    assert.strictEqual(await statusOf("cascade-1"), "STOPPED")
  })

  it("leaves the child running with { children: false }", async () => {
    const childId = await startParent(alone, "alone-1")
    const stopped = await call("POST", "/v1/executions/alone-1/stop", JSON.stringify({ children: false }))
    assert.strictEqual(stopped.body.status, "STOPPED")
    assert.strictEqual(await statusOf(childId), "RUNNING")
    alone.openGate()
    assert.deepStrictEqual(alone.bodies, ["long"])
  })
})
