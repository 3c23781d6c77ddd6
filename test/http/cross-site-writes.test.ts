/**
 * Issue 19, finding 2: a web page in the user's browser must not be able to write to a local server (no API key):
 * not by a cross-site form (media type), not by a cross-site fetch (Sec-Fetch-Site, Origin), not by DNS rebinding
 * (Host). Against the Node server on 127.0.0.1, with headers as a browser would send them.
 */
import { assert, describe, it } from "@effect/vitest"
import { hostAllowed } from "../../src/http/allowed-hosts.ts"
import { JSON_TYPE, rawRequest, withRealServer } from "./real-server.ts"

const START = "/v1/functions/echo/executions"

describe("cross-site writes (issue 19, finding 2)", () => {
  it("refuses an empty-bodied form post to start or stop (415), and writes nothing", async () => {
    await withRealServer(async (server) => {
      const running = await rawRequest(server, "/v1/functions/approval/executions", { method: "POST", headers: JSON_TYPE, body: "{\"input\":{\"amount\":1}}" })
      assert.strictEqual(running.status, 201)
      const id = String(running.json?.executionId)
      for (const type of [undefined, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        const headers: Record<string, string> = type === undefined ? {} : { "content-type": type }
        const start = await rawRequest(server, START, { method: "POST", headers, body: "" })
        assert.strictEqual(start.status, 415, `start with ${type}`)
        assert.strictEqual(start.headers["content-type"], "application/problem+json")
        assert.strictEqual(start.json?.type, "https://reprise.dev/problems/unsupported-media-type")
        const stop = await rawRequest(server, `/v1/executions/${id}/stop`, { method: "POST", headers, body: "" })
        assert.strictEqual(stop.status, 415, `stop with ${type}`)
      }
      const list = await rawRequest(server, "/v1/executions")
      assert.deepStrictEqual((list.json?.executions as Array<{ executionId: string; status: string }>).map((e) => [e.executionId, e.status]), [[id, "RUNNING"]])
      const stop = await rawRequest(server, `/v1/executions/${id}/stop`, { method: "POST", headers: JSON_TYPE, body: "" })
      assert.strictEqual(stop.status, 200, "an empty application/json body is {}")
    })
  })

  it("refuses writes a browser says are cross-site (Sec-Fetch-Site, else Origin) with 403, whatever the media type", async () => {
    await withRealServer(async (server) => {
      const self = `http://127.0.0.1:${server.port}`
      const refused: Array<Record<string, string>> = [
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site" }, // another port of localhost is another origin
        { "sec-fetch-site": "cross-site", origin: self }, // Sec-Fetch-Site decides when present
        { origin: "http://evil.example" },
        { origin: `http://localhost:${server.port + 1}` },
        { origin: "null" }
      ]
      for (const headers of refused) {
        const res = await rawRequest(server, START, { method: "POST", headers: { ...JSON_TYPE, ...headers }, body: "{}" })
        assert.strictEqual(res.status, 403, JSON.stringify(headers))
        assert.strictEqual(res.json?.type, "https://reprise.dev/problems/cross-site-request")
      }
      const accepted: Array<Record<string, string>> = [{}, { "sec-fetch-site": "same-origin" }, { "sec-fetch-site": "none" }, { origin: self }]
      for (const headers of accepted) {
        const res = await rawRequest(server, START, { method: "POST", headers: { ...JSON_TYPE, ...headers }, body: "{}" })
        assert.strictEqual(res.status, 201, JSON.stringify(headers))
      }
      const read = await rawRequest(server, "/v1/executions", { headers: { "sec-fetch-site": "cross-site" } })
      assert.strictEqual(read.status, 200, "reads are not writes (and without CORS the page cannot see them)")
      const list = await rawRequest(server, "/v1/executions")
      assert.lengthOf(list.json?.executions as Array<unknown>, accepted.length)
    })
  })

  it("answers only to the names it serves: a rebound DNS name is refused (403), even for reads", async () => {
    await withRealServer(async (server) => {
      for (const host of ["evil.example", `evil.example:${server.port}`, "127.0.0.1.evil.example", "localhost.evil.example"]) {
        const res = await rawRequest(server, "/v1/executions", { headers: { host } })
        assert.strictEqual(res.status, 403, host)
        assert.strictEqual(res.json?.type, "https://reprise.dev/problems/host-not-allowed")
        const write = await rawRequest(server, START, { method: "POST", headers: { host, ...JSON_TYPE }, body: "{}" })
        assert.strictEqual(write.status, 403, host)
      }
      for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`, "LOCALHOST", "reprise.internal"]) {
        assert.strictEqual((await rawRequest(server, "/healthz", { headers: { host } })).status, 200, host)
      }
      assert.lengthOf((await rawRequest(server, "/v1/executions")).json?.executions as Array<unknown>, 0)
    }, { allowedHosts: ["reprise.internal"] })
  })

  it("matches configured names exactly, or as a domain with a leading dot", () => {
    assert.isTrue(hostAllowed("api.example.com", [".example.com"]))
    assert.isTrue(hostAllowed("example.com", [".example.com"]))
    assert.isFalse(hostAllowed("badexample.com", [".example.com"]))
    assert.isTrue(hostAllowed("reprise.internal", ["Reprise.Internal"]))
    assert.isFalse(hostAllowed("reprise.internal.evil", ["reprise.internal"]))
    assert.isTrue(hostAllowed("10.0.0.7", []), "an IP literal cannot be rebound")
    assert.isTrue(hostAllowed("anything", ["*"]))
  })

  it("keeps the console's own forms working, with their token, and refuses them without it or cross-site", async () => {
    await withRealServer(async (server) => {
      const loginPage = await rawRequest(server, "/console/login")
      const cookie = String(loginPage.headers["set-cookie"]?.[0]?.split(";")[0])
      const token = /name="form_token" value="([^"]+)"/.exec(loginPage.text)?.[1]
      assert.isString(token)
      assert.match(String(loginPage.headers["set-cookie"]?.[0]), /HttpOnly; SameSite=Strict/)
      const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
        rawRequest(server, "/console/login", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
          body: new URLSearchParams(fields).toString()
        })
      const ok = await form({ key: "k-1", next: "/console", form_token: token! }, { cookie, origin: server.url, "sec-fetch-site": "same-origin" })
      assert.strictEqual(ok.status, 303)
      assert.match(String(ok.headers["set-cookie"]), /reprise_console=/)
      assert.strictEqual((await form({ key: "k-1", next: "/console" }, { cookie })).status, 403, "no token")
      assert.strictEqual((await form({ key: "k-1", next: "/console", form_token: token! })).status, 403, "no cookie")
      assert.strictEqual((await form({ key: "k-1", next: "/console", form_token: "x".repeat(24) }, { cookie })).status, 403, "another token")
      const crossSite = await form({ key: "k-1", next: "/console", form_token: token! }, { cookie, "sec-fetch-site": "cross-site" })
      assert.strictEqual(crossSite.status, 403)
      const session = String(ok.headers["set-cookie"]?.[0]?.split(";")[0])
      const page = await rawRequest(server, "/console", { headers: { cookie: `${cookie}; ${session}` } })
      assert.strictEqual(page.status, 200)
      const logoutToken = /action="\/console\/logout"><input type="hidden" name="form_token" value="([^"]+)"/.exec(page.text)?.[1]
      assert.strictEqual(logoutToken, token, "the logout form carries the same token")
      const logout = await rawRequest(server, "/console/logout", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: `${cookie}; ${session}` },
        body: new URLSearchParams({ form_token: token! }).toString()
      })
      assert.strictEqual(logout.status, 303)
      assert.match(String(logout.headers["set-cookie"]), /reprise_console=;/)
    }, { apiKey: "k-1" })
  })
})
