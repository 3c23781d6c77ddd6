/**
 * A host's drain (src/engine/engine-drain.ts), on the in-memory ports with real timers: from the call on, no new
 * step attempt begins (not even one whose turn under a step limit comes meanwhile), the attempt under way ends and
 * is written, and the drain is bounded by its maxMs when a body does not end.
 */
import { assert, describe, it } from "@effect/vitest"
import { startHost } from "../../src/host/index.ts"
import { memoryPorts } from "../../src/host/memory-ports.ts"
import { durable, type DurableFunction } from "../../src/index.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const hostOf = (functions: ReadonlyArray<DurableFunction<any, any>>) =>
  startHost({ functions, env: () => undefined, logging: { level: "none" } }, memoryPorts(makeMemoryStore()))

describe("a host's drain", () => {
  it("lets the body under way end and be written, and begins no other step", async () => {
    const began: Array<string> = []
    const twoSteps = durable("two-steps", async (_: unknown, ctx) => {
      await ctx.step("first", async () => {
        began.push("first")
        await sleep(300)
      })
      await ctx.step("second", async () => void began.push("second"))
    })
    const host = await hostOf([twoSteps])
    try {
      await host.engine((e) => e.start({ functionName: "two-steps", executionId: "x" }))
      for (let i = 0; i < 100 && began.length === 0; i++) await sleep(5)
      await host.drain(5_000)
      const history = await host.engine((e) => e.history("x"))
      assert.deepStrictEqual(history.filter((e) => e._tag === "StepSucceeded").map((e) => (e as { name?: string }).name), ["first"])
      assert.deepStrictEqual(began, ["first"])
    } finally {
      await host.close()
    }
  })

  it("does not begin a body whose turn under a step limit comes during the drain", async () => {
    const began: Array<string> = []
    const limited = durable("limited", async (n: number, ctx) => {
      await ctx.step("call", async () => {
        began.push(`body ${n}`)
        await sleep(400)
      }, { concurrencyKey: "api", limit: 1 })
    })
    const host = await hostOf([limited])
    try {
      await host.engine((e) => e.start({ functionName: "limited", input: JSON.stringify(1), executionId: "one" }))
      await host.engine((e) => e.start({ functionName: "limited", input: JSON.stringify(2), executionId: "two" }))
      for (let i = 0; i < 100 && began.length === 0; i++) await sleep(5)
      await host.drain(5_000)
      await sleep(100) // a body that began at the turn's release would have pushed by now
      assert.deepStrictEqual(began.length, 1, began.join(", "))
    } finally {
      await host.close()
    }
  })

  it("gives up after maxMs on a body that does not end, which is still running when it returns", async () => {
    const stuck = durable("stuck", async (_: unknown, ctx) => {
      await ctx.step("forever", () => new Promise(() => undefined))
    })
    const host = await hostOf([stuck])
    try {
      await host.engine((e) => e.start({ functionName: "stuck", executionId: "s" }))
      await sleep(20)
      await host.drain(200)
      assert.isTrue(await host.engine((e) => e.userCodeRunning("s")))
    } finally {
      await host.close()
    }
  })
})
