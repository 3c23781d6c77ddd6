/**
 * The console's sessions on Workers: a session opened with the API key survives a restart with the same
 * REPRISE_CONSOLE_SECRET, and a new secret logs it out, as $REPRISE_CONSOLE_SECRET does on Node and Deno. Before,
 * the Worker never read the secret: changing it logged no one out.
 */
import { createHmac } from "node:crypto"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { API_KEY, bundle, removeDir, startMiniflare, tempDir } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
let dir: string
let script: string
const running: Array<Miniflare> = []

beforeAll(async () => {
  dir = tempDir("console-session")
  script = await bundle(entry, dir)
}, 30_000)

afterAll(async () => {
  for (const mf of running) await mf.dispose()
  removeDir(dir)
})

const withSecret = async (secret: string): Promise<Miniflare> => {
  const mf = startMiniflare({ scriptPath: script, bindings: { REPRISE_CONSOLE_SECRET: secret } })
  running.push(mf)
  await mf.ready
  return mf
}

/** Logs in through the console's own form (its token and cookie, then the post); the session cookie. */
const login = async (mf: Miniflare): Promise<string> => {
  const page = await mf.dispatchFetch("http://reprise.test/console/login")
  const formCookie = (page.headers.get("set-cookie") ?? "").split(";")[0]!
  const token = /name="form_token" value="([^"]+)"/.exec(await page.text())?.[1] ?? ""
  const opened = await mf.dispatchFetch("http://reprise.test/console/login", {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
    body: new URLSearchParams({ key: API_KEY, next: "/console", form_token: token }).toString()
  })
  assert.strictEqual(opened.status, 303)
  return (opened.headers.get("set-cookie") ?? "").split(";")[0]!
}

const pageStatus = async (mf: Miniflare, session: string) => {
  const res = await mf.dispatchFetch("http://reprise.test/console", { headers: { cookie: session } })
  await res.arrayBuffer()
  return res.status
}

describe("console sessions on Workers", () => {
  it("a new REPRISE_CONSOLE_SECRET logs every session out", async () => {
    const first = await withSecret("secret-1")
    const session = await login(first)
    assert.strictEqual(await pageStatus(first, session), 200)
    assert.strictEqual(await pageStatus(await withSecret("secret-1"), session), 200, "the same secret keeps sessions")
    assert.strictEqual(await pageStatus(await withSecret("secret-2"), session), 401, "a new secret revokes them")
  }, 60_000)

  it("a session cookie cannot test guesses of the API key offline: REPRISE_CALLBACK_SECRET signs it too", async () => {
    const mf = await withSecret("secret-3")
    const signed = decodeURIComponent((await login(mf)).split("=").slice(1).join("="))
    const value = signed.slice(0, signed.lastIndexOf("."))
    const signature = signed.slice(signed.lastIndexOf(".") + 1)
    for (const guess of [API_KEY, `${API_KEY}\u0000secret-3`]) {
      assert.notStrictEqual(createHmac("sha256", guess).update(value).digest("base64"), signature, JSON.stringify(guess))
    }
  }, 60_000)
})
