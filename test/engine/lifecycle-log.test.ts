/**
 * The engine logs each execution's life as it is written, through Effect's logger with annotations; a replay after
 * a cold load adds no line for what it replays. Captured with the host's JSON logger.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, ManagedRuntime } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { durable, retryPresets } from "../../src/index.ts"
import { Engine } from "../../src/engine/engine.ts"
import { hostLoggingLayer } from "../../src/host/index.ts"
import { lifecycleLine } from "../../src/engine/lifecycle-log.ts"
import { applyEvent, initialState } from "../../src/log/fold.ts"
import type { LogEvent } from "../../src/log/events.ts"
import { createTestRunner } from "../../src/testing/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

const here = fileURLToPath(import.meta.url)
const lineOf = (marker: string) => readFileSync(here, "utf8").split("\n").findIndex((line) => line.includes(marker)) + 1

let renamed = false
const approve = durable("approve", async (_input: unknown, ctx) => {
  await ctx.step(renamed ? "renamed" : "prepare", async () => "ready")
  await ctx.waitForCallback("approval", async () => undefined)
  await ctx.step("apply", async () => {
    throw new Error("nope") // APPLY-THROWS
  }, { retryStrategy: retryPresets.noRetry })
})

type Line = { level: string; message: string; executionId?: string; functionName?: string; operationId?: string }

const engineWithLog = () => {
  const lines: Array<Line> = []
  const layer = Engine.layer({ functions: [approve] }).pipe(
    Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore())),
    Layer.provide(hostLoggingLayer({ format: "json", level: "debug", write: (line) => lines.push(JSON.parse(line)) }, () => undefined))
  )
  const runtime = ManagedRuntime.make(layer)
  const run = async <A, E>(f: (e: Engine["Service"]) => Effect.Effect<A, E>) => {
    const exit = await runtime.runPromiseExit(Engine.use(f))
    if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
    return exit.value
  }
  return { lines, run, dispose: () => runtime.dispose() }
}

const callbackOf = async (run: ReturnType<typeof engineWithLog>["run"], id: string) =>
  (await run((e) => e.describe(id))).operations.find((op) => op.type === "CALLBACK")!.callbackId!

describe("the engine's lifecycle log", () => {
  it("one line per fact, annotated; silent in replay after a cold load", async () => {
    renamed = false
    const { lines, run, dispose } = engineWithLog()
    await run((e) => e.start({ functionName: "approve", executionId: "a-1" }))
    await run((e) => e.settle("a-1"))
    const callbackId = await callbackOf(run, "a-1")
    await run((e) => e.evict("a-1"))
    await run((e) => e.completeCallback(callbackId, { ok: true }))
    await run((e) => e.awaitEnd("a-1"))
    await dispose()

    assert.isTrue(lines.every((l) => l.executionId === "a-1" && l.functionName === "approve"), JSON.stringify(lines))
    assert.isFalse(JSON.stringify(lines).includes(callbackId), "a callback id is a capability: never logged")
    const where = `${here}:${lineOf("APPLY-THROWS")}:`
    const shown = lines.map((l) => [l.level, l.operationId ?? "-", l.message.replace(/ in \d+ ms/, "")])
    assert.deepStrictEqual(shown.slice(0, 6), [
      ["info", "-", "started"],
      ["debug", "1", `step "prepare" succeeded on attempt 1`],
      // waitForCallback's unnamed parts are named by it, as in the console.
      ["info", "2-1", `suspended on the callback of waitForCallback "approval"`],
      ["debug", "2-2", `the submitter of waitForCallback "approval" succeeded on attempt 1`],
      ["debug", "-", "loaded from the store: 5 events to replay"],
      ["info", "2-1", `resumed: the callback of waitForCallback "approval" succeeded`]
    ])
    // The failures say where: this file and the throwing line.
    assert.deepStrictEqual(shown.slice(6).map(([level, op]) => [level, op]), [["error", "3"], ["error", "-"]])
    assert.include(shown[6]![2], `step "apply" failed on attempt 1, for good: Error: nope (at `)
    assert.include(shown[6]![2], where)
    assert.include(shown[7]![2], "ended FAILED: StepError: nope (at ")
    assert.include(shown[7]![2], where)
  })

  it("non-determinism names the operation", async () => {
    renamed = false
    const { lines, run, dispose } = engineWithLog()
    await run((e) => e.start({ functionName: "approve", executionId: "a-2" }))
    await run((e) => e.settle("a-2"))
    await run((e) => e.evict("a-2"))
    renamed = true
    await run((e) => e.alarm("a-2")) // loads it cold: the replay meets the renamed step
    await run((e) => e.awaitEnd("a-2"))
    await dispose()
    const line = lines.find((l) => l.message.startsWith("non-determinism"))
    assert.strictEqual(line?.level, "error")
    assert.strictEqual(line?.operationId, "1")
    assert.include(line?.message, "renamed")
    assert.match(lines.at(-1)!.message, /^ended FAILED in \d+ ms: NonDeterministicExecutionError/)
  })
  it("pause and resume are a line each", async () => {
    renamed = false
    const { lines, run, dispose } = engineWithLog()
    await run((e) => e.start({ functionName: "approve", executionId: "a-3" }))
    await run((e) => e.settle("a-3"))
    await run((e) => e.pause("a-3"))
    await run((e) => e.resume("a-3"))
    await run((e) => e.settle("a-3"))
    await dispose()
    const messages = lines.map((l) => l.message)
    assert.deepStrictEqual(messages.filter((m) => m === "paused" || m === "resumed from the pause"), ["paused", "resumed from the pause"])
  })

  it("a callback completed while paused is said to be kept, not to have resumed the execution", async () => {
    renamed = false
    const { lines, run, dispose } = engineWithLog()
    await run((e) => e.start({ functionName: "approve", executionId: "a-4" }))
    await run((e) => e.settle("a-4"))
    await run((e) => e.pause("a-4"))
    const callbackId = (await run((e) => e.describe("a-4"))).operations.find((op) => op.type === "CALLBACK")!.callbackId!
    await run((e) => e.completeCallback(callbackId, { ok: true, result: "\"yes\"" }))
    await dispose()
    const about = lines.map((l) => l.message).filter((m) => m.includes("approval"))
    assert.include(about, `kept while paused: the callback of waitForCallback "approval" succeeded`)
    assert.notInclude(about, `resumed: the callback of waitForCallback "approval" succeeded`)
  })

  it("decides a line's level before making its message: a level not logged costs no message, the others are unchanged", async () => {
    let tries = 0
    const busy = durable("busy", async (_: unknown, ctx) => {
      await ctx.step("charge", async () => {
        if (++tries < 2) throw new Error("declined")
        return "charged"
      }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 1 } }) })
      await ctx.wait("cool-off", { seconds: 5 })
      await ctx.waitForCallback("approve", async () => undefined)
      await ctx.runInChildContext("inner", async (child) => child.step("deep", async () => "ok"))
      return "done"
    })
    const runner = createTestRunner({ functions: [busy] })
    const execution = await runner.run("busy", undefined, { callbacks: { approve: () => ({ succeed: "\"yes\"" }) } })
    await runner.dispose()
    assert.strictEqual(execution.status, "SUCCEEDED")
    const history: ReadonlyArray<LogEvent> = execution.history
    const state = initialState(history[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>)
    const lines: Array<string> = []
    for (const event of history.slice(1)) {
      applyEvent(state, event)
      const every = lifecycleLine(event, state)
      const noDebug = lifecycleLine(event, state, (level) => level !== "Debug")
      if (every === undefined) continue
      lines.push(`${every.level} ${event._tag}`)
      assert.notStrictEqual(every.message, "", `${event._tag} has a message`)
      assert.deepStrictEqual(noDebug, every.level === "Debug" ? undefined : every, event._tag)
    }
    // The retry warns; the steps (the charge, the callback's submitter, the child's) are debug; the rest is info.
    assert.deepStrictEqual(lines, [
      "Warn StepFailed",
      "Debug StepSucceeded",
      "Info WaitStarted",
      "Info WaitSucceeded",
      "Info CallbackStarted",
      "Debug StepSucceeded",
      "Info CallbackSucceeded",
      "Debug StepSucceeded",
      "Info ExecutionSucceeded"
    ])
  })
})
