/** The real engine on the SQLite store inside the host, woken by the Node timer: a durable wait on real time. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { sqlitePorts } from "../../../adapters/node/sqlite-ports.ts"
import { startHost } from "../../../src/host/index.ts"
import { EngineProbe } from "../../../src/testing/index.ts"
import { durable } from "../../../src/index.ts"
import { openStore } from "./sqlite-fixture.ts"

const napThenStep = durable("nap-then-step", async (name: string, ctx) => {
  const before = await ctx.step("before", async () => `hello ${name}`)
  await ctx.wait("nap", { seconds: 1 })
  return { before, after: await ctx.step("after", async () => "woke") }
})

const setup = async () => {
  const sqlite = openStore()
  const errors: Array<unknown> = []
  const host = await startHost(
    { functions: [napThenStep], env: () => undefined, evictEveryMs: 60_000, onError: (error) => void errors.push(error) },
    sqlitePorts(sqlite)
  )
  // Start-up recovery runs in the background; let it finish so that it cannot deliver this test's alarms early.
  await host.recovered
  return { sqlite, engine: host.engine, errors, dispose: host.close }
}

describe("the engine on SQLite in the host, with the timer wake-ups", () => {
  it("a one-second wait resumes the warm execution through the timer", async () => {
    const { dispose, engine, errors } = await setup()
    const t0 = Date.now()
    await engine((e) => e.start({ functionName: "nap-then-step", input: "warm", executionId: "warm" }))
    const view = await engine((e) => e.awaitEnd("warm"))
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(view.result!), { before: "hello warm", after: "woke" })
    assert.isAtLeast(Date.now() - t0, 1000) // not before the wait was due (how late depends on the machine's load)
    assert.deepStrictEqual(errors, [])
    await dispose()
  })

  it("a wait whose actor was evicted resumes by replay from the SQLite file", async () => {
    const { dispose, engine, errors, sqlite } = await setup()
    await engine((e) => e.start({ functionName: "nap-then-step", input: "cold", executionId: "cold" }))
    await engine((e) => e.settle("cold"))
    await engine((e) => e.evict("cold"))
    assert.isFalse(await engine(() => EngineProbe.use((p) => Effect.succeed(p.inMemory("cold")))))
    const view = await engine((e) => e.awaitEnd("cold"))
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(view.result!), { before: "hello cold", after: "woke" })
    assert.strictEqual(await engine(() => EngineProbe.use((p) => Effect.succeed(p.invocations("cold")))), 2)
    const history = await engine((e) => e.history("cold"))
    assert.strictEqual(history.filter((event) => event._tag === "StepSucceeded" && event.name === "before").length, 1)
    assert.deepStrictEqual(sqlite.runningExecutionIds(), [])
    assert.deepStrictEqual(errors, [])
    await dispose()
  })
})
