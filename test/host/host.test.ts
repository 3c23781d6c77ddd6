/**
 * The host on in-memory ports: where the keys come from, the start-up recovery (alarms due within WATCHDOG_MS + 1 s,
 * not later ones), and the shutdown order (wake-ups, then the engine, then the store).
 */
import { assert, describe, it } from "@effect/vitest"
import { WATCHDOG_MS } from "../../src/engine/index.ts"
import { SECRET_METADATA_KEY, startHost } from "../../src/host/index.ts"
import { durable } from "../../src/index.ts"
import { memoryPorts } from "./memory-ports.ts"

const waiter = durable("waiter", async (_: unknown, ctx) => {
  await ctx.wait("long", { hours: 1 })
  return "done"
})

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
})
