/**
 * resolveRequestTimeouts: each timeout is the option, else its variable, else its default (10 s for the headers, at
 * most the request's; 30 s for the request); anything but whole ms from 1 to an hour is refused, naming where it
 * came from, and so is a headers timeout longer than the request's.
 */
import { assert, describe, it } from "@effect/vitest"
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, resolveRequestTimeout, resolveRequestTimeouts } from "../../src/host/request-timeouts.ts"

const envOf = (vars: Record<string, string>) => (name: string) => vars[name]

describe("resolveRequestTimeouts", () => {
  it("defaults to 10 s for the headers and 30 s for the request (an empty variable counts as unset)", () => {
    assert.deepStrictEqual(resolveRequestTimeouts({}, envOf({})), { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 })
    assert.deepStrictEqual(resolveRequestTimeouts({}, envOf({ REPRISE_HEADERS_TIMEOUT_MS: "", REPRISE_REQUEST_TIMEOUT_MS: " " })), {
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS
    })
  })

  it("takes the option first, else the variable", () => {
    const env = envOf({ REPRISE_HEADERS_TIMEOUT_MS: " 2000 ", REPRISE_REQUEST_TIMEOUT_MS: "60000" })
    assert.deepStrictEqual(resolveRequestTimeouts({}, env), { headersTimeoutMs: 2_000, requestTimeoutMs: 60_000 })
    assert.deepStrictEqual(resolveRequestTimeouts({ headersTimeoutMs: 300, requestTimeoutMs: 600 }, env), { headersTimeoutMs: 300, requestTimeoutMs: 600 })
  })

  it("brings the headers' default down to a shorter request timeout rather than refusing it", () => {
    assert.deepStrictEqual(resolveRequestTimeouts({ requestTimeoutMs: 5_000 }, envOf({})), { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000 })
  })

  it("refuses what is not a whole number of ms from 1 to an hour, naming where it came from", () => {
    for (const bad of ["0", "-1", "5s", "1.5", "3600001", "1e3"]) {
      assert.throws(
        () => resolveRequestTimeouts({}, envOf({ REPRISE_REQUEST_TIMEOUT_MS: bad })),
        TypeError,
        `REPRISE_REQUEST_TIMEOUT_MS must be a whole number of milliseconds from 1 to 3600000, not ${JSON.stringify(bad)}`
      )
      assert.throws(() => resolveRequestTimeouts({}, envOf({ REPRISE_HEADERS_TIMEOUT_MS: bad })), TypeError, /^REPRISE_HEADERS_TIMEOUT_MS must be/)
    }
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      assert.throws(() => resolveRequestTimeouts({ headersTimeoutMs: bad }, envOf({})), TypeError, /^headersTimeoutMs must be a whole number/)
      assert.throws(() => resolveRequestTimeouts({ requestTimeoutMs: bad }, envOf({})), TypeError, /^requestTimeoutMs must be a whole number/)
    }
  })

  it("resolveRequestTimeout alone (Deno, which cannot bound the headers) reads only the request's option and variable", () => {
    const env = envOf({ REPRISE_HEADERS_TIMEOUT_MS: "90000", REPRISE_REQUEST_TIMEOUT_MS: "45000" })
    assert.strictEqual(resolveRequestTimeout(undefined, env), 45_000)
    assert.strictEqual(resolveRequestTimeout(500, env), 500)
    assert.strictEqual(resolveRequestTimeout(undefined, envOf({})), 30_000)
  })

  it("refuses a headers timeout longer than the request timeout (Node would throw a RangeError of its own)", () => {
    assert.throws(
      () => resolveRequestTimeouts({ headersTimeoutMs: 20_000 }, envOf({ REPRISE_REQUEST_TIMEOUT_MS: "15000" })),
      TypeError,
      "the headers timeout (20000 ms) must not be longer than the request timeout (15000 ms): the headers are part of the request"
    )
  })
})
