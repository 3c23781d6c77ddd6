/**
 * The Lambda invocation store on its own, against the fake service: an append returns the events as written (with
 * the callback id the service issued), never modifies the events it is given, and keeps the append rules.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { LogEvent } from "reprise/store"
import { makeInvocationStore } from "../../../adapters/lambda/invocation-store.ts"
import { operationsToLog } from "../../../adapters/lambda/wire-to-log.ts"
import { FakeService } from "./fake-service.ts"
import { withDurableExecution } from "../../../adapters/lambda/index.ts"

const open = (service: FakeService) =>
  makeInvocationStore({
    client: service,
    executionArn: service.arn,
    checkpointToken: "token-0",
    log: operationsToLog(service.arn, "fn", [...service.operations.values()], 1_000)
  })

const callbackStarted = (seq: number): Extract<LogEvent, { _tag: "CallbackStarted" }> => ({
  _tag: "CallbackStarted",
  seq,
  at: 2_000,
  id: "1",
  name: "approve",
  type: "CALLBACK",
  subType: "Callback",
  callbackId: "reprise-chose-this"
})

describe("the Lambda invocation store", () => {
  it.effect("returns a copy of CallbackStarted carrying the service's id and leaves the given event as it was", () =>
    Effect.gen(function*() {
      const service = new FakeService({})
      const store = open(service)
      const given = [callbackStarted(2)]
      const before = JSON.stringify(given)
      const written = yield* store.append(service.arn, given, 1)
      assert.strictEqual(JSON.stringify(given), before, "the event given to append was modified")
      assert.strictEqual(written.length, 1)
      assert.deepStrictEqual(written[0], { ...given[0]!, callbackId: "cb-1" }, "the event as written: the service's callback id")
      // What a later load returns is what was written.
      assert.deepStrictEqual((yield* store.load(service.arn))?.events.slice(1), written)
    }))

  it.effect("keeps the append rules: a stale expectedSeq conflicts, nothing follows the end", () =>
    Effect.gen(function*() {
      const service = new FakeService({})
      const store = open(service)
      const conflict = yield* Effect.flip(store.append(service.arn, [callbackStarted(3)], 2))
      assert.strictEqual(conflict._tag, "SeqConflict")
      const end: LogEvent = { _tag: "ExecutionSucceeded", seq: 2, at: 3_000, result: "1" }
      yield* store.append(service.arn, [end], 1)
      assert.deepStrictEqual(store.outcome(), end)
      const after = yield* Effect.flip(store.append(service.arn, [callbackStarted(3)], 2))
      assert.strictEqual(after._tag, "LogCorrupted")
      assert.strictEqual(service.calls.length, 0, "an end or a refused batch sent a checkpoint")
    }))

  it("holds a step's next attempt until the service has made its retry due, as AWS's SDK does (a retry delay of 0)", async () => {
    const service = new FakeService({})
    // The service makes the retry due a moment after it took it: at the second read of its state.
    const read = service.getExecutionState.bind(service)
    let reads = 0
    service.getExecutionState = async (request) => {
      if (++reads === 2) service.passTime()
      return read(request)
    }
    const handler = withDurableExecution(async (_event, ctx) =>
      ctx.step("flaky", async ({ attempt }) => {
        if (attempt < 2) throw new Error("not yet")
        return attempt
      }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 0 } }) }), { durableExecutionClient: service })
    assert.deepStrictEqual(await service.invoke(handler), { Status: "SUCCEEDED", Result: "2" })
    // The second attempt went out once the step was READY, with its START (sent on a PENDING step, it was refused).
    assert.deepStrictEqual(service.calls.map((call) => call.updates.map((u) => u.Action)), [["START", "RETRY"], ["START", "SUCCEED"]])
    assert.strictEqual(reads, 2)
  })
})
