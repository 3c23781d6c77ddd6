/**
 * Property tests of the request schemas and the body reader (issue 19): random, truncated and mutated bodies and
 * query strings give the decoded value or a typed HttpProblem (400, 413 or 415), never a defect, a throw, a hang
 * or a 500, directly and through the app.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, type Schema } from "effect"
import fc from "fast-check"
import { HttpProblem } from "../../src/http/problem.ts"
import { decodeWith, readJsonBody, readQuery } from "../../src/http/read-body.ts"
import {
  CallbackFailureBody,
  CallbackSuccessBody,
  EmptyBody,
  HistoryQuery,
  ListQuery,
  StartBody,
  StartQuery,
  StopBody
} from "../../src/http/request-schemas.ts"
import { type Harness, makeHarness } from "./http-fixture.ts"

const SEED = 19
const RUNS = 300

const BODIES: ReadonlyArray<readonly [string, Schema.Decoder<unknown>]> = [
  ["StartBody", StartBody],
  ["StopBody", StopBody],
  ["CallbackSuccessBody", CallbackSuccessBody],
  ["CallbackFailureBody", CallbackFailureBody],
  ["EmptyBody", EmptyBody]
]
const QUERIES: ReadonlyArray<readonly [string, Schema.Decoder<unknown>]> = [
  ["StartQuery", StartQuery],
  ["ListQuery", ListQuery],
  ["HistoryQuery", HistoryQuery]
]

/** The value, or "problem" for an HttpProblem; anything else (a defect, a throw) fails the property. */
const outcome = <A>(effect: Effect.Effect<A, HttpProblem>): "ok" | "problem" => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) return "ok"
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "Some" && error.value instanceof HttpProblem && !Cause.hasDies(exit.cause)) return "problem"
  throw new Error(`not a typed error: ${Cause.pretty(exit.cause)}`)
}

const outcomeAsync = async <A>(effect: Effect.Effect<A, HttpProblem>): Promise<"ok" | "problem"> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return "ok"
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag === "Some" && error.value instanceof HttpProblem && !Cause.hasDies(exit.cause)) return "problem"
  throw new Error(`not a typed error: ${Cause.pretty(exit.cause)}`)
}

/** Valid bodies to mutate. */
const VALID_BODIES = [
  { input: { orderId: "o-1", lines: [{ sku: "k", quantity: 2 }] }, executionName: "order-1" },
  { error: { errorType: "Cancelled", errorMessage: "by operator" } },
  { result: "{\"ok\":true}" },
  { errorType: "Declined", errorMessage: "no", errorData: "{}" },
  {}
]

/** One character of a text replaced, inserted or removed. */
const textMutation = fc.tuple(fc.nat(), fc.constantFrom("replace", "insert", "remove"), fc.string({ minLength: 1, maxLength: 1, unit: "binary" }))
const mutateText = (text: string, [at, how, ch]: [number, string, string]) => {
  const i = text.length === 0 ? 0 : at % text.length
  return how === "replace" ? text.slice(0, i) + ch + text.slice(i + 1) : how === "insert" ? text.slice(0, i) + ch + text.slice(i) : text.slice(0, i) + text.slice(i + 1)
}

describe("the request schemas, on random and damaged input", () => {
  it("decode any value to the body or an HttpProblem", () => {
    for (const [, schema] of BODIES) {
      const decode = decodeWith(schema, "body", "error")
      fc.assert(fc.property(fc.anything({ maxDepth: 3 }), (value) => void outcome(decode(value))), { seed: SEED, numRuns: RUNS })
    }
  })

  it("decode any query string to the query or an HttpProblem", () => {
    const params = fc.dictionary(fc.constantFrom("wait", "cursor", "limit", "function", "status", "x"), fc.string({ unit: "binary", maxLength: 40 }))
    for (const [, schema] of QUERIES) {
      fc.assert(fc.property(params, (query) => {
        const url = `http://localhost/v1/x?${new URLSearchParams(query).toString()}`
        void outcome(readQuery(url, schema))
      }), { seed: SEED, numRuns: RUNS })
    }
  })

  it("read any bytes, and any truncated or mutated valid body, as the body or an HttpProblem", async () => {
    const read = (bytes: Uint8Array | string, schema: Schema.Decoder<unknown>) =>
      outcomeAsync(readJsonBody(new Request("http://localhost/", { method: "POST", headers: { "content-type": "application/json" }, body: bytes }), schema))
    for (const [, schema] of BODIES) {
      await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => void (await read(bytes, schema))), { seed: SEED, numRuns: RUNS })
    }
    await fc.assert(fc.asyncProperty(fc.constantFrom(...VALID_BODIES), fc.nat(), textMutation, async (body, cut, change) => {
      const text = JSON.stringify(body)
      for (const [, schema] of BODIES) {
        await read(text.slice(0, cut % (text.length + 1)), schema)
        await read(mutateText(text, change), schema)
      }
    }), { seed: SEED, numRuns: RUNS })
    for (const [index, [name, schema]] of BODIES.entries()) {
      assert.strictEqual(await read(JSON.stringify(VALID_BODIES[index]), schema), "ok", name)
    }
  })
})

describe("the app, on random bodies and queries", () => {
  let h: Harness
  beforeAll(() => {
    h = makeHarness({ maxBodyBytes: 4096 })
  })
  afterAll(() => h.dispose())

  it("never answers 500 to a random or damaged write", async () => {
    const routes = ["/v1/functions/echo/executions", "/v1/executions/nope/stop", "/v1/callbacks/forged/succeed", "/v1/callbacks/forged/fail", "/v1/callbacks/forged/heartbeat"]
    const body = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.tuple(fc.constantFrom(...VALID_BODIES), textMutation).map(([valid, change]) => mutateText(JSON.stringify(valid), change))
    )
    await fc.assert(fc.asyncProperty(fc.constantFrom(...routes), body, fc.constantFrom("application/json", "text/plain", "application/json; charset=latin1"), async (route, text, type) => {
      const res = await h.app.request(route, { method: "POST", headers: { "content-type": type }, body: text })
      assert.oneOf(res.status, [200, 201, 400, 404, 409, 413, 415], `${route} ${JSON.stringify(text)}`)
      assert.strictEqual(res.headers.get("content-type")?.startsWith("application/"), true)
    }), { seed: SEED, numRuns: RUNS })
  })

  it("never answers 500 to random query strings on the list and the history", async () => {
    const value = fc.string({ unit: "binary", maxLength: 60 })
    await fc.assert(fc.asyncProperty(fc.constantFrom("/v1/executions", "/v1/executions/nope/history"), fc.dictionary(fc.constantFrom("cursor", "limit", "function", "status"), value), async (path, query) => {
      const res = await h.app.request(`${path}?${new URLSearchParams(query).toString()}`)
      assert.oneOf(res.status, [200, 400, 404], `${path} ${JSON.stringify(query)}`)
    }), { seed: SEED, numRuns: RUNS })
    assert.deepStrictEqual(h.serverErrors, [])
  })
})
