/**
 * Issue 19, store faults: an execution whose write the store refused (its actor stopped) is resumed by the host once
 * the store is back. These memory ports have a wake-up source that delivers nothing, so only the host's retry of
 * store-failed executions can resume it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startHost } from "../../src/host/index.ts"
import { durable } from "../../src/index.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { makeStoreFaults, withStoreFaults } from "../../src/testing/index.ts"
import { memoryPorts } from "./memory-ports.ts"

describe("the host after a store failure", () => {
  it("resumes an execution whose step result the store refused, once the store takes writes again", async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const inBody = new Promise<void>((resolve) => (entered = resolve))
    let bodyRuns = 0
    const held = durable("held", async (_: unknown, ctx) =>
      ctx.step("held", async () => {
        bodyRuns++
        entered()
        await released
        return "done"
      }))
    const faults = makeStoreFaults()
    const memory = memoryPorts(new Map(), { executionStore: (inner) => withStoreFaults(inner, faults) })
    const host = await startHost({ functions: [held], env: () => undefined, onError: () => {} }, memory.ports)
    try {
      await host.recovered // recovery delivers watchdogs early: it must not be what resumes the execution here
      await host.engine((e) => e.start({ functionName: "held", executionId: "x" }))
      await inBody
      faults.set({ appends: "fail" })
      release()
      for (let i = 0; i < 1000 && faults.counts.failedAppends === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.isAtLeast(faults.counts.failedAppends, 1, "the step's result was refused")
      const refused = await Effect.runPromise(memory.store.load("x"))
      assert.deepStrictEqual(refused?.events.map((event) => event._tag), ["ExecutionStarted"], "nothing unwritten is kept")

      faults.clear()
      // Read the store itself: asking the engine (describe, awaitEnd) would load the execution and resume it.
      const ended_ = () => Effect.runPromise(memory.store.load("x")).then((log) => log?.events.at(-1)?._tag === "ExecutionSucceeded")
      for (let i = 0; i < 1500 && !(await ended_()); i++) await new Promise((resolve) => setTimeout(resolve, 20))
      assert.isTrue(await ended_(), "the host resumed it by itself")
      const ended = await host.engine((e) => Effect.timeout(e.awaitEnd("x"), "30 seconds"))
      assert.strictEqual(ended.status, "SUCCEEDED")
      assert.strictEqual(ended.result, JSON.stringify("done"))
      assert.isAtLeast(bodyRuns, 2, "the body ran again: its first result was never written")
    } finally {
      await host.close()
    }
  })

  it("does not reload it for other messages until its retry is due or a write succeeds: the step body whose result was refused runs once per backoff step", async () => {
    let bodyRuns = 0
    const held = durable("held", async (_: unknown, ctx) =>
      ctx.step("held", async () => {
        bodyRuns++
        return "x".repeat(1000)
      }))
    // A nearly full disk: the step's start still fits, its 1 KB result does not.
    let full = true
    let refused = 0
    const memory = memoryPorts(new Map(), {
      executionStore: (inner) => ({
        ...inner,
        append: (executionId, events, expectedSeq, options) =>
          Effect.suspend(() => {
            if (!full || !events.some((event) => event._tag === "StepSucceeded")) return inner.append(executionId, events, expectedSeq, options)
            refused++
            return Effect.fail(new StoreFailure({ operation: "append", reason: "no space left on device" }))
          })
      })
    })
    const host = await startHost({ functions: [held], env: () => undefined, onError: () => {} }, memory.ports)
    try {
      await host.recovered
      await host.engine((e) => e.start({ functionName: "held", executionId: "x" }))
      for (let i = 0; i < 1000 && refused === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      assert.strictEqual(bodyRuns, 1)

      // What a client retrying its callback or its stop does: each message would load the execution and replay it.
      const answers: Array<string> = []
      for (let i = 0; i < 20; i++) {
        const answer = await host.engine((e) => Effect.result(e.alarm("x")))
        answers.push(answer._tag === "Success" ? "delivered" : `${answer.failure._tag}:${(answer.failure as { operation?: string }).operation}`)
      }
      // Without the gate each message loaded it and ran the body again (19 runs for these 20 messages, measured).
      // The host's own retry (due 0.5 s after the failure, then 1 s later) may have run it once meanwhile.
      assert.isAtMost(bodyRuns, 2, `the body ran ${bodyRuns} times; answers: ${answers.join(", ")}`)
      assert.include(answers, "StoreFailure:writesFailing", "refused while the execution's retry is not due")

      // A repeat of its start knows its answer without loading it, even where it would wake it (no alarm left).
      await Effect.runPromise(memory.store.deleteAlarm("x"))
      const gated = await host.engine((e) => Effect.result(e.alarm("x")))
      assert.strictEqual(gated._tag, "Failure", "the gate still refuses to load it")
      const repeat = await host.engine((e) => Effect.result(e.start({ functionName: "held", executionId: "x" })))
      assert.deepStrictEqual(repeat._tag === "Success" ? repeat.success : repeat.failure, { executionId: "x", created: false })

      full = false
      // Another execution's write goes through: the store is back, and the gate opens before the retry is due.
      await host.engine((e) => e.start({ functionName: "held", executionId: "y" }))
      const endedAt = (id: string) => Effect.runPromise(memory.store.load(id)).then((log) => log?.events.at(-1)?._tag === "ExecutionSucceeded")
      for (let i = 0; i < 500 && !(await endedAt("y")); i++) await new Promise((resolve) => setTimeout(resolve, 2))
      const after = await host.engine((e) => Effect.result(e.alarm("x")))
      assert.strictEqual(after._tag, "Success", "a message is taken again once a write succeeded")
      for (let i = 0; i < 1500 && !(await endedAt("x")); i++) await new Promise((resolve) => setTimeout(resolve, 20))
      assert.isTrue(await endedAt("x"), "it ends")
      assert.strictEqual((await host.engine((e) => e.describe("x"))).status, "SUCCEEDED")
    } finally {
      await host.close()
    }
  })
})
