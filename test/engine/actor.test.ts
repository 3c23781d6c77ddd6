/**
 * The actor keeps causes: a store that fails it stops it with a log line naming the cause, every message it held
 * is answered with that cause (never "its actor kept going away"), and nothing half-written is left behind.
 */
import { EngineProbe } from "../../src/engine/engine-probe.ts"
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import { Engine as EngineTag } from "../../src/engine/index.ts"
import { durable } from "../../src/index.ts"
import { StoreFailure } from "../../src/store/store-errors.ts"
import { type LogLine, makeFailingEngine } from "./failing-store.ts"

/** Polls (bounded) until `probe` holds. */
const until = async (probe: () => boolean | Promise<boolean>, timeoutMs = 2000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("timed out")
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

const errorOf = (line: LogLine) => {
  const found = Cause.findErrorOption(line.cause)
  return found._tag === "Some" ? found.value : Cause.squash(line.cause)
}

let gate: { open: () => void; opened: Promise<void> }
const makeGate = () => {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

const gated = durable("gated", async (_: unknown, ctx) => {
  const first = await ctx.step("first", async () => {
    await gate.opened
    return 1
  })
  return first + await ctx.step("second", async () => 2)
})

const twoCallbacks = durable("two-callbacks", async (_: unknown, ctx) => {
  const [a, aId] = await ctx.createCallback("a")
  const [b, bId] = await ctx.createCallback("b")
  await ctx.step("publish", async () => [aId, bId])
  return [await a, await b]
})

let harness: ReturnType<typeof makeFailingEngine> | undefined
afterEach(async () => {
  await harness?.runtime.dispose()
  harness = undefined
})

const callbackIdsOf = async (h: NonNullable<typeof harness>, executionId: string) => {
  let ids: Array<string> = []
  await until(async () => {
    await h.engine((e) => e.settle(executionId))
    const view = await h.engine((e) => e.describe(executionId))
    const published = view.operations.some((op) => op.name === "publish" && op.status === "SUCCEEDED")
    ids = view.operations.filter((op) => op.type === "CALLBACK").map((op) => op.callbackId!)
    return published
  })
  return ids
}

describe("the actor, when its store fails", () => {
  it("logs a failed step append with its cause and stops; once the store works, the next alarm carries the execution on", async () => {
    const h = harness = makeFailingEngine({ functions: [gated] })
    gate = makeGate()
    await h.engine((e) => e.start({ functionName: "gated", executionId: "g-1" }))
    h.state.broken.add("append")
    gate.open()
    await until(() => h.lines.some((line) => line.level === "Error"))
    const line = h.lines.find((l) => l.level === "Error")!
    assert.instanceOf(errorOf(line), StoreFailure)
    assert.strictEqual((errorOf(line) as StoreFailure).reason, "disk full")
    assert.strictEqual(line.annotations.executionId, "g-1")
    assert.match(String(line.message), /store failed to append/)
    assert.isFalse(await h.runtime.runPromise(EngineProbe.use((p) => Effect.succeed(p.inMemory("g-1")))), "the actor stopped")
    const history = await h.engine((e) => e.history("g-1"))
    assert.deepStrictEqual(history.map((event) => event._tag), ["ExecutionStarted"], "nothing half-written")

    h.state.broken.delete("append")
    await h.engine((e) => e.alarm("g-1")) // what the host does when the watchdog alarm goes off
    const ended = await h.engine((e) => e.awaitEnd("g-1"))
    assert.strictEqual(ended.status, "SUCCEEDED")
    assert.strictEqual(ended.result, "3")
  })

  it("answers the message whose write failed with the StoreFailure, tries the others again, and finishes once the store works", async () => {
    const h = harness = makeFailingEngine({ functions: [twoCallbacks] })
    await h.engine((e) => e.start({ functionName: "two-callbacks", executionId: "t-1" }))
    const [a, b] = await callbackIdsOf(h, "t-1")
    h.state.broken.add("append")
    const exits = await Promise.all([a!, b!].map((id) =>
      h.runtime.runPromiseExit(Effect.flatMap(Effect.service(EngineTag), (e) => e.completeCallback(id, { ok: true, result: `"${id}"` })))
    ))
    for (const exit of exits) {
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = Cause.findErrorOption(exit.cause)
        assert.strictEqual(error._tag, "Some", `a typed failure, not a defect: ${Cause.pretty(exit.cause)}`)
        assert.instanceOf(error._tag === "Some" ? error.value : undefined, StoreFailure)
      }
    }
    assert.isTrue(h.lines.some((line) => line.level === "Error" && errorOf(line) instanceof StoreFailure))

    h.state.broken.delete("append")
    for (const id of [a!, b!]) await h.engine((e) => e.completeCallback(id, { ok: true, result: `"${id}"` }))
    const ended = await h.engine((e) => e.awaitEnd("t-1"))
    assert.strictEqual(ended.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(ended.result!), [`"${a}"`, `"${b}"`])
  })

  it("passes a store's defect to the sender with its own cause, logged, instead of a generic one", async () => {
    const h = harness = makeFailingEngine({ functions: [twoCallbacks] })
    await h.engine((e) => e.start({ functionName: "two-callbacks", executionId: "d-1" }))
    const [a] = await callbackIdsOf(h, "d-1")
    h.state.broken.add("append")
    h.state.dies = true
    const exit = await h.runtime.runPromiseExit(
      Effect.flatMap(Effect.service(EngineTag), (e) => e.completeCallback(a!, { ok: true }))
    )
    assert.isTrue(Exit.isFailure(exit))
    const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    assert.instanceOf(defect, Error)
    assert.strictEqual((defect as Error).message, "append: the driver crashed")
    const line = h.lines.find((l) => l.level === "Error")
    assert.isDefined(line)
    assert.strictEqual((Cause.squash(line!.cause) as Error).message, "append: the driver crashed")
    assert.strictEqual(line!.annotations.executionId, "d-1")
  })

  it("logs a failed alarm write with its cause; the completion that was already durable still succeeds", async () => {
    const h = harness = makeFailingEngine({ functions: [twoCallbacks] })
    await h.engine((e) => e.start({ functionName: "two-callbacks", executionId: "s-1" }))
    const [a, b] = await callbackIdsOf(h, "s-1")
    h.state.broken.add("setAlarm")
    // The completion carries its watchdog in its own append; idle again (on b), the alarm falls back to the
    // execution's timeout through a separate alarm write, which fails.
    await h.engine((e) => e.completeCallback(a!, { ok: true, result: "1" }))
    await h.engine((e) => e.settle("s-1"))
    await until(() => h.lines.some((line) => line.level === "Error"))
    const line = h.lines.find((l) => l.level === "Error")!
    assert.strictEqual((errorOf(line) as StoreFailure).operation, "setAlarm")
    assert.strictEqual(line.annotations.executionId, "s-1")
    const history = await h.engine((e) => e.history("s-1"))
    assert.isTrue(history.some((event) => event._tag === "CallbackSucceeded"))

    h.state.broken.delete("setAlarm")
    await h.engine((e) => e.completeCallback(b!, { ok: true, result: "2" }))
    const ended = await h.engine((e) => e.awaitEnd("s-1"))
    assert.strictEqual(ended.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(ended.result!), ["1", "2"])
  })

  it("logs nothing when it is simply evicted or the engine shuts down", async () => {
    const h = harness = makeFailingEngine({ functions: [twoCallbacks] })
    await h.engine((e) => e.start({ functionName: "two-callbacks", executionId: "q-1" }))
    await callbackIdsOf(h, "q-1")
    await h.engine((e) => e.evict("q-1"))
    await h.engine((e) => e.describe("q-1"))
    await h.runtime.dispose()
    harness = undefined
    assert.deepStrictEqual(h.lines.map((line) => line.level), [])
  })
})
