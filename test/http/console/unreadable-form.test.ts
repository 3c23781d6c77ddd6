/**
 * The console's form routes (log in, log out) read form bodies, not JSON: one that cannot be read as a form (a
 * multipart body without its boundary, or cut short) is the client's fault, a 400 problem, not a logged 500.
 */
import { assert, describe, it } from "@effect/vitest"
import { rawRequest, withRealServer } from "../real-server.ts"

const broken: ReadonlyArray<Record<string, string>> = [
  { "content-type": "multipart/form-data; boundary=x" }, // no part, no closing boundary
  { "content-type": "multipart/form-data" } // no boundary at all
]

describe("console forms that cannot be read", () => {
  for (const apiKey of [undefined, "operator-key"]) {
    it(`answer 400 problem+json on the Node server (${apiKey === undefined ? "no API key" : "with an API key"})`, async () => {
      await withRealServer(async (server) => {
        // Without an API key the login route redirects before it reads anything: only logout reads the form.
        const paths = apiKey === undefined ? ["/console/logout"] : ["/console/login", "/console/logout"]
        for (const path of paths) {
          for (const headers of broken) {
            const res = await rawRequest(server, path, { method: "POST", headers, body: "not a form" })
            assert.strictEqual(res.status, 400, `${path} ${headers["content-type"]}: ${res.text}`)
            assert.match(String(res.headers["content-type"]), /^application\/problem\+json/)
            assert.strictEqual(res.json?.type, "https://reprise.dev/problems/invalid-request")
            assert.match(String(res.json?.detail), /cannot be read as a form/)
          }
        }
        assert.strictEqual((await rawRequest(server, "/healthz")).status, 200)
      }, { ...(apiKey === undefined ? {} : { apiKey }), logging: { level: "none" } })
    })
  }
})
