/** /v1/openapi.json: generated from the request Schemas, and checked here against the app's own routes. */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { type Harness, makeHarness } from "./http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

type Operation = { parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }>; requestBody?: { content: Record<string, { schema: Record<string, any> }> } }
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> }

const fetchDocument = async (harness: Harness): Promise<Document> => {
  const res = await harness.app.request("/v1/openapi.json") // no API key: the description is open
  assert.strictEqual(res.status, 200)
  return await res.json() as Document
}

/** The app's API routes (Hono's own table), as "METHOD /path/{param}". */
const appRoutes = (harness: Harness): Set<string> =>
  new Set(
    harness.app.routes
      .filter((route) => route.method !== "ALL" && (route.path.startsWith("/v1/") || route.path === "/healthz"))
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`)
  )

const documented = (document: Document): Set<string> =>
  new Set(Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)))

describe("the OpenAPI description", () => {
  it("describes exactly the routes the app serves, each path parameter included", async () => {
    h = makeHarness({ apiKey: "k" })
    const document = await fetchDocument(h)
    assert.strictEqual(document.openapi, "3.1.0")
    assert.deepStrictEqual([...documented(document)].sort(), [...appRoutes(h)].sort())
    for (const [path, methods] of Object.entries(document.paths)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])
      for (const operation of Object.values(methods)) {
        assert.deepStrictEqual((operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name), inPath, path)
      }
    }
  })

  it("carries the request Schemas' constraints: what it refuses, the routes refuse", async () => {
    h = makeHarness({ devTools: true }) // every route answers, the development aid too
    const document = await fetchDocument(h)
    const list = document.paths["/v1/executions"]!.get!
    const statusPattern = new RegExp(String(list.parameters!.find((p) => p.name === "status")!.schema.pattern), "u")
    for (const good of ["QUEUED", "CONTINUED_AS_NEW", "RUNNING,PAUSED,TIMED_OUT"]) assert.match(good, statusPattern)
    for (const bad of ["DONE", "running", "RUNNING,", "RUNNING,DONE"]) {
      assert.notMatch(bad, statusPattern)
      assert.strictEqual((await h.request("GET", `/v1/executions?status=${bad}`)).status, 400, bad)
    }
    const start = document.paths["/v1/functions/{name}/executions"]!.post!
    const startBody = start.requestBody!.content["application/json"]!.schema
    assert.strictEqual(startBody.properties.executionName.pattern, "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
    assert.strictEqual(startBody.properties.priority.type, "integer")

    // Every body is closed in the document (additionalProperties: false), and the route refuses an unknown field.
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const schema = operation.requestBody?.content["application/json"]?.schema
        if (schema === undefined) continue
        assert.strictEqual(schema.additionalProperties, false, `${method} ${path} is closed`)
        const url = path.replace("{name}", "echo").replace(/\{\w+\}/g, "x")
        const res = await h.request(method.toUpperCase(), url, { json: { notInTheSchema: true } })
        assert.strictEqual(res.status, 400, `${method} ${path} refuses an unknown field`)
      }
    }
    assert.match(String(document.paths["/v1/executions/{id}/history"]!.get!.parameters!.find((p) => p.name === "cursor")!.schema.pattern), /\\d\{1,15\}/)
    assert.match(String(document.paths["/v1/executions/{id}/events"]!.get!.parameters!.find((p) => p.name === "cursor")!.schema.pattern), /\\d\{1,15\}/)

    // What every route may answer: 403 (a Host it does not serve, a cross-site write); a POST also 413; one that
    // reaches the store 503 (store-failure, execution-busy) and 500 (log-corrupted).
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const statuses = Object.keys((operation as { responses: Record<string, unknown> }).responses)
        assert.include(statuses, "403", `${method} ${path}`)
        if (method === "post") assert.include(statuses, "413", `${method} ${path}`)
        // Only the health check, this description and the function list are answered without the store.
        const storeless = path === "/healthz" || path === "/v1/openapi.json" || path === "/v1/functions"
        for (const status of ["500", "503"]) (storeless ? assert.notInclude : assert.include)(statuses, status, `${method} ${path}`)
      }
    }
    const health = await h.app.request("http://elsewhere.example/healthz")
    assert.strictEqual(health.status, 403, "the Host check holds for /healthz too")
  })
})
