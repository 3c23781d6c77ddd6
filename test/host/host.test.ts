/**
 * The host on in-memory ports: where the keys come from, the start-up recovery (alarms due within WATCHDOG_MS + 1 s,
 * not later ones), and the shutdown order (wake-ups, then the engine, then the store).
 */
import { createHmac } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { WATCHDOG_MS } from "../../src/engine/index.ts"
import { SECRET_METADATA_KEY, startHost } from "../../src/host/index.ts"
import { durable } from "../../src/index.ts"
import { memoryPorts } from "./memory-ports.ts"

const waiter = durable("waiter", async (_: unknown, ctx) => {
  await ctx.wait("long", { hours: 1 })
  return "done"
})

/** Logs in to the host's console with `key` through its own form; the session cookie's value and signature. */
const consoleLogin = async (app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, key: string) => {
  const page = await app.request("http://localhost/console/login")
  const formCookie = (page.headers.get("set-cookie") ?? "").split(";")[0]!
  const token = /name="form_token" value="([^"]+)"/.exec(await page.text())?.[1] ?? ""
  const opened = await app.request("http://localhost/console/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: formCookie },
    body: new URLSearchParams({ key, form_token: token }).toString()
  })
  assert.strictEqual(opened.status, 303)
  const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0]!
  const signed = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1))
  return { cookie, value: signed.slice(0, signed.lastIndexOf(".")), signature: signed.slice(signed.lastIndexOf(".") + 1) }
}

describe("the host", () => {
  it("resolves the secret: the option, else the env var, else one kept in the store's metadata and created once", async () => {
    const metadata = new Map<string, string>()
    const first = await startHost({ functions: [], env: () => undefined }, memoryPorts(metadata).ports)
    await first.close()
    const kept = metadata.get(SECRET_METADATA_KEY)
    assert.match(kept ?? "", /^[A-Za-z0-9_-]{43}$/)
    const second = await startHost({ functions: [], env: () => undefined }, memoryPorts(metadata).ports)
    await second.close()
    assert.strictEqual(metadata.get(SECRET_METADATA_KEY), kept, "the second start keeps the first secret")

    const fromEnv = new Map<string, string>()
    const third = await startHost({ functions: [], env: (name) => name === "REPRISE_SECRET" ? "from-env" : undefined }, memoryPorts(fromEnv).ports)
    await third.close()
    const fourth = await startHost({ functions: [], secret: "from-option", env: () => "from-env" }, memoryPorts(fromEnv).ports)
    await fourth.close()
    assert.strictEqual(fromEnv.size, 0, "a given secret is not stored")
  })

  it("resolves the API key: the option, else $REPRISE_API_KEY, where empty means none", async () => {
    const keyOf = async (options: { apiKey?: string; env: Record<string, string> }) => {
      const host = await startHost({ functions: [], env: (name) => options.env[name], ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }) }, memoryPorts().ports)
      await host.close()
      return host.apiKey
    }
    assert.strictEqual(await keyOf({ apiKey: "opt", env: { REPRISE_API_KEY: "env" } }), "opt")
    assert.strictEqual(await keyOf({ env: { REPRISE_API_KEY: "env" } }), "env")
    assert.strictEqual(await keyOf({ env: { REPRISE_API_KEY: "" } }), undefined)
    assert.strictEqual(await keyOf({ env: {} }), undefined)
  })

  it("refuses an API key no client could send, naming where it came from, and leaves nothing running", async () => {
    for (const [given, named] of [[{ env: { REPRISE_API_KEY: "p@ss!" } }, /^REPRISE_API_KEY must be an RFC 6750 token/], [{ apiKey: "with space", env: {} }, /^apiKey must be/]] as const) {
      const memory = memoryPorts()
      const refused = await startHost({ functions: [waiter], env: (name) => (given.env as Record<string, string>)[name], ...("apiKey" in given ? { apiKey: given.apiKey } : {}) }, memory.ports).then(
        async (host) => {
          await host.close()
          return undefined
        },
        (error: unknown) => error
      )
      assert.instanceOf(refused, TypeError)
      assert.match((refused as Error).message, named)
      // Before, the engine was built and its wake-ups started, then the app refused the key: nothing closed them.
      assert.isFalse(memory.log.includes("wake-ups started") && !memory.log.includes("store closed"), memory.log.join(", "))
    }
  })

  it("resumes at start what is due within the watchdog, leaves later alarms alone, and shuts down in order", async () => {
    const now = Date.now()
    const memory = memoryPorts()
    // Executions that were waiting when the last process died: one due within the watchdog, one in an hour.
    const seed = await startHost({ functions: [waiter], env: () => undefined, resumeOnStart: false }, memory.ports)
    await seed.engine((e) => e.start({ functionName: "waiter", executionId: "soon" }))
    await seed.engine((e) => e.start({ functionName: "waiter", executionId: "later" }))
    // Suspended (evicted), their alarms fall back from the watchdog to the wait's end.
    for (let i = 0; i < 100 && (await seed.engine((e) => e.evictIdle())) < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.isAbove(memory.alarms.get("later")!, now + 3_500_000)
    await seed.close()
    memory.alarms.set("soon", now + WATCHDOG_MS)
    memory.log.length = 0

    const host = await startHost({ functions: [waiter], env: () => undefined }, memory.ports)
    assert.deepStrictEqual(await host.recovered, { due: 1, unwatched: 0 })
    assert.strictEqual(host.dispatcher.stats.delivered, 1, "the alarm due within the watchdog was delivered at start")
    assert.isAbove(memory.alarms.get("later")!, now + 3_500_000, "the hour-long wait is left to its alarm")
    const view = await host.engine((e) => e.describe("soon"))
    assert.strictEqual(view.status, "RUNNING")
    await host.close()
    assert.deepStrictEqual(memory.log, ["wake-ups started", "wake-ups stopped", "store closed"])
    const closed = await host.engine((e) => e.describe("soon")).then(() => "ran", (error: Error) => error.message)
    assert.strictEqual(closed, "The server is closed")
  })

  it("signs console sessions with its secret beside the API key: a session cookie cannot test guesses of the key offline", async () => {
    const metadata = new Map<string, string>()
    const env = (name: string) => (name === "REPRISE_CONSOLE_SECRET" ? "console-secret" : undefined)
    const host = await startHost({ functions: [], apiKey: "weak-key", env }, memoryPorts(metadata).ports)
    const session = await consoleLogin(host.app, "weak-key")
    await host.close()
    // Signed with the key (and $REPRISE_CONSOLE_SECRET) alone, anyone who saw the cookie could try keys at HMAC speed
    // until one gave its signature.
    for (const guess of ["weak-key", "weak-key\u0000console-secret"]) {
      assert.notStrictEqual(createHmac("sha256", guess).update(session.value).digest("base64"), session.signature, JSON.stringify(guess))
    }
    const pageStatus = async (ports: ReturnType<typeof memoryPorts>["ports"], secret?: string) => {
      const again = await startHost({ functions: [], apiKey: "weak-key", env, ...(secret === undefined ? {} : { secret }) }, ports)
      const res = await again.app.request("http://localhost/console", { headers: { cookie: session.cookie } })
      await res.arrayBuffer()
      await again.close()
      return res.status
    }
    assert.strictEqual(await pageStatus(memoryPorts(metadata).ports), 200, "a restart on the same store keeps the session")
    assert.strictEqual(await pageStatus(memoryPorts(metadata).ports, "another-secret"), 401, "another secret ends it")
  })
})
