/**
 * Issue 19, finding 9: console logins are throttled per client address (429 with Retry-After, the key not even
 * compared), and sessions can be revoked by rotating the session secret (or the API key).
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { MAX_FAILURES, makeLoginThrottle, WINDOW_MS } from "../../../src/http/console/login-throttle.ts"
import { createApp } from "../../../src/http/index.ts"
import { type Harness, makeHarness } from "../http-fixture.ts"
import { rawRequest, withRealServer } from "../real-server.ts"

const KEY = "operator-key"

interface Sent {
  readonly status: number
  readonly header: (name: string) => string
  readonly text: string
}
type Send = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<Sent>

/** Logs in through the real form: the login page's token and cookie, then the post. */
const login = async (send: Send, key: string) => {
  const pageRes = await send("/console/login", {})
  const formCookie = pageRes.header("set-cookie").split(";")[0] ?? ""
  const token = /name="form_token" value="([^"]+)"/.exec(pageRes.text)?.[1] ?? ""
  return send("/console/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
    body: new URLSearchParams({ key, next: "/console", form_token: token }).toString()
  })
}

let h: Harness | undefined
afterEach(() => h?.dispose())

describe("console logins (issue 19, finding 9)", () => {
  it(`answers 429 with Retry-After after ${MAX_FAILURES} wrong keys from one address, even to the right key`, async () => {
    await withRealServer(async (server) => {
      const send: Send = async (path, init) => {
        const res = await rawRequest(server, path, init)
        const header = (name: string) => [res.headers[name] ?? ""].flat()[0] ?? ""
        return { status: res.status, header, text: res.text }
      }
      for (let i = 0; i < MAX_FAILURES; i++) assert.strictEqual((await login(send, "wrong")).status, 401, `try ${i + 1}`)
      const blocked = await login(send, KEY)
      assert.strictEqual(blocked.status, 429)
      const retryAfter = Number(blocked.header("retry-after"))
      assert.isTrue(retryAfter > 0 && retryAfter <= WINDOW_MS / 1000, String(retryAfter))
      assert.include(blocked.text, "Too many wrong keys from this address: try again in", "the login page says when to try again")
      assert.include(blocked.text, `id="login"`, "a page with the login form, not a JSON document")
      assert.strictEqual((await rawRequest(server, "/console")).status, 401, "no session was opened")
    }, { apiKey: KEY })
  })

  it("counts each address apart, forgets after the window, and clears on a right key", () => {
    let now = 1_000_000
    const throttle = makeLoginThrottle(() => now)
    for (let i = 0; i < MAX_FAILURES; i++) throttle.failed("10.0.0.1")
    assert.isAbove(throttle.retryAfterMs("10.0.0.1"), 0)
    assert.strictEqual(throttle.retryAfterMs("10.0.0.2"), 0)
    now += WINDOW_MS
    assert.strictEqual(throttle.retryAfterMs("10.0.0.1"), 0)
    for (let i = 0; i < MAX_FAILURES - 1; i++) throttle.failed("10.0.0.3")
    throttle.succeeded("10.0.0.3")
    throttle.failed("10.0.0.3")
    assert.strictEqual(throttle.retryAfterMs("10.0.0.3"), 0)
  })

  it("revokes every session when the session secret (or the API key) changes", async () => {
    const harness = h = makeHarness()
    const appWith = (apiKey: string, consoleSessionSecret?: string) =>
      createApp({ runtime: harness.runtime, apiKey, ...(consoleSessionSecret === undefined ? {} : { consoleSessionSecret }) })
    const first = appWith(KEY, "secret-1")
    const send = (app: ReturnType<typeof createApp>): Send => async (path, init) => {
      const res = await app.request(path, init)
      return { status: res.status, header: (name) => res.headers.get(name) ?? "", text: await res.text() }
    }
    const opened = await login(send(first), KEY)
    assert.strictEqual(opened.status, 303)
    const session = opened.header("set-cookie").split(";")[0]!
    const pageOf = async (app: ReturnType<typeof createApp>) => (await app.request("/console", { headers: { cookie: session } })).status
    assert.strictEqual(await pageOf(first), 200)
    assert.strictEqual(await pageOf(appWith(KEY, "secret-1")), 200, "a restart with the same secret keeps sessions")
    assert.strictEqual(await pageOf(appWith(KEY, "secret-2")), 401, "a new session secret revokes them")
    assert.strictEqual(await pageOf(appWith(KEY)), 401)
    assert.strictEqual(await pageOf(appWith("another-key", "secret-1")), 401, "so does a new API key")
  })
})
