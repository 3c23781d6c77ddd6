/** The RPC answer encoding (adapters/cloudflare/wire.ts): Schema.Exit through a structured clone, as RPC carries it. */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit } from "effect"
import { call, dieWire, fromWire, only, runWire } from "../../../adapters/cloudflare/wire.ts"
import { ExecutionNotFound, FunctionNotFound } from "../../../src/engine/index.ts"
import { LogCorrupted } from "../../../src/log/log-corrupted.ts"
import { StoreFailure } from "../../../src/store/store-errors.ts"

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromiseExit(effect)

/** What the other side of an RPC gets: the answer after a structured clone. */
const across = async <A, E>(effect: Effect.Effect<A, E>) => fromWire(structuredClone(await runWire(run, effect)))

class NotForTheWire extends Data.TaggedError("NotForTheWire")<{ readonly message: string }> {}

describe("the Cloudflare RPC wire", () => {
  it("carries a value as it is", async () => {
    const value = { status: "RUNNING", operations: [{ id: "a", at: 1 }], payload: undefined }
    assert.deepStrictEqual(await across(Effect.succeed(value)), Exit.succeed(value))
  })

  it("rebuilds each typed error as its own class, fields included", async () => {
    const errors = [
      new ExecutionNotFound({ executionId: "e-1" }),
      new FunctionNotFound({ functionName: "orders" }),
      new StoreFailure({ operation: "append", reason: "disk full" })
    ]
    for (const error of errors) {
      const exit = await across(Effect.fail(error))
      assert.isTrue(Exit.isFailure(exit))
      const back = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.instanceOf(back, error.constructor as new(...args: Array<never>) => unknown)
      assert.deepStrictEqual({ ...(back as object) }, { ...(error as object) })
      assert.strictEqual((back as Error).message, error.message)
    }
  })

  it("sends any other failure, a defect or a rejected run as a defect with its message", async () => {
    const cases: Array<[Exit.Exit<unknown, unknown>, string]> = [
      [await across(Effect.fail(new NotForTheWire({ message: "local only" }))), "local only"],
      [await across(Effect.die(new Error("boom"))), "boom"],
      [fromWire(structuredClone(await runWire(() => Promise.reject(new Error("gone")), Effect.void))), "gone"],
      [fromWire(structuredClone(dieWire("misrouted"))), "misrouted"]
    ]
    for (const [exit, text] of cases) {
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause) && !Cause.hasFails(exit.cause))
      const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.include(String((defect as Error).message ?? defect), text)
    }
  })

  it("turns an answer that does not decode into a defect, and an unreachable object into a StoreFailure", async () => {
    const malformed = await run(call("describe", () => Promise.resolve({ _tag: "Failure", cause: [{ _tag: "Fail", error: { _tag: "Nope" } }] } as never)))
    assert.isTrue(Exit.isFailure(malformed) && Cause.hasDies(malformed.cause))
    const unreachable = await run(call("describe", () => Promise.reject(new Error("network"))))
    assert.deepStrictEqual(unreachable, Exit.fail(new StoreFailure({ operation: "describe", reason: "network" })))
  })

  it("narrows a call to the errors its method has", async () => {
    const remote = (error: ExecutionNotFound | LogCorrupted) => call("load", async () => runWire(run, Effect.fail(error)))
    const kept = await run(only("LogCorrupted")(remote(new LogCorrupted({ executionId: "e", seq: 3, reason: "bad" }))))
    assert.isTrue(Exit.isFailure(kept) && Cause.squash(kept.cause) instanceof LogCorrupted && !Cause.hasDies(kept.cause))
    const died = await run(only("LogCorrupted")(remote(new ExecutionNotFound({ executionId: "e" }))))
    assert.isTrue(Exit.isFailure(died) && Cause.hasDies(died.cause) && !Cause.hasFails(died.cause))
  })
})
