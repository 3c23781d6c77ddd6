/**
 * One invocation at a time against a fake service: paging, token rotation, batching, error classification,
 * service-issued callback ids, retries through READY, and replay over a state whose finished contexts lost
 * their children (as the real service prunes them).
 */
import { describe, expect, it } from "vitest"
import { CheckpointFailedError, withDurableExecution } from "../../../adapters/lambda/index.ts"
import { FakeService } from "./fake-service.ts"

describe("reprise/lambda against a fake service", () => {
  it("reads the state through NextMarker pages and replays without re-running finished steps", async () => {
    const service = new FakeService({ n: 20 }, { envelopeSize: 3, pageSize: 4 })
    let runs = 0
    const handler = withDurableExecution(async (event: { n: number }, ctx) => {
      let total = 0
      for (let i = 0; i < event.n; i++) total += await ctx.step(`s${i}`, async () => (runs++, i))
      await ctx.wait("pause", { minutes: 1 })
      return total
    }, { durableExecutionClient: service })
    expect(await service.invoke(handler)).toEqual({ Status: "PENDING" })
    expect(runs).toBe(20)
    service.passTime()
    expect(await service.invoke(handler)).toEqual({ Status: "SUCCEEDED", Result: "190" })
    expect(runs).toBe(20)
    // 22 operations: 3 in the envelope, the rest in pages of 4.
    expect(service.stateReads).toEqual(["3", "7", "11", "15", "19"])
  })

  it("sends at most 250 updates per checkpoint and uses each new checkpoint token once", async () => {
    const service = new FakeService({})
    const handler = withDurableExecution(async (_event, ctx) => {
      const batch = await ctx.parallel("fan-out", Array.from({ length: 300 }, (_, i) => async (branch: any) => branch.step("work", async () => i)))
      return batch.getResults().length
    }, { durableExecutionClient: service })
    expect(await service.invoke(handler)).toEqual({ Status: "SUCCEEDED", Result: "300" })
    const sizes = service.calls.map((call) => call.updates.length)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(250)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2 + 300 * 4) // the batch's START/SUCCEED, per branch START, step START+SUCCEED, SUCCEED
    expect(new Set(service.calls.map((call) => call.token)).size).toBe(service.calls.length)
  })

  it("throws a transient checkpoint failure (Lambda retries the invocation) and fails the execution on a 4xx", async () => {
    const service = new FakeService({})
    let runs = 0
    const handler = withDurableExecution(async (_event, ctx) => ctx.step("charge", async () => ++runs), { durableExecutionClient: service })
    service.failNext = Object.assign(new Error("service unavailable"), { name: "ServiceException", $metadata: { httpStatusCode: 503 } })
    const thrown = await service.invoke(handler).catch((error) => error)
    expect(thrown).toBeInstanceOf(CheckpointFailedError)
    expect(thrown.scope).toBe("INVOCATION")
    // The retried invocation runs the step again (it was never recorded) and succeeds.
    expect(await service.invoke(handler)).toEqual({ Status: "SUCCEEDED", Result: "2" })

    const other = new FakeService({})
    other.failNext = Object.assign(new Error("payload too large"), { name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 } })
    const failed = await other.invoke(withDurableExecution(async (_event, ctx) => ctx.step("x", async () => 1), { durableExecutionClient: other }))
    expect(failed).toEqual({ Status: "FAILED", Error: { ErrorType: "CheckpointFailedError", ErrorMessage: "Checkpoint failed: payload too large" } })
  })

  it("hands out the callback id the service issued, also when the checkpoint answer does not carry it", async () => {
    const service = new FakeService({}, { silentCheckpoints: true })
    const seen: Array<string> = []
    const handler = withDurableExecution(async (_event, ctx) => {
      const [answer, callbackId] = await ctx.createCallback("approval")
      seen.push(callbackId)
      return answer
    }, { durableExecutionClient: service })
    expect(await service.invoke(handler)).toEqual({ Status: "PENDING" })
    expect(seen).toEqual(["cb-1"])
    service.completeCallback("cb-1", "yes")
    expect(await service.invoke(handler)).toEqual({ Status: "SUCCEEDED", Result: JSON.stringify("yes") })
    expect(seen).toEqual(["cb-1", "cb-1"])
  })

  it("retries a step through the service: RETRY, then READY, then START and SUCCEED", async () => {
    const service = new FakeService({})
    let attempts = 0
    const handler = withDurableExecution(async (_event, ctx) =>
      ctx.step("flaky", async ({ attempt }) => {
        attempts++
        if (attempt < 2) throw new Error("not yet")
        return attempt
      }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 30 } }) }), { durableExecutionClient: service })
    expect(await service.invoke(handler)).toEqual({ Status: "PENDING" })
    expect(service.calls.map((call) => call.updates.map((u) => `${u.Action}${u.StepOptions ? `(${u.StepOptions.NextAttemptDelaySeconds}s)` : ""}`))).toEqual([["START", "RETRY(30s)"]])
    service.passTime()
    expect(await service.invoke(handler)).toEqual({ Status: "SUCCEEDED", Result: "2" })
    expect(service.calls.at(-1)!.updates.map((u) => u.Action)).toEqual(["START", "SUCCEED"])
    expect(service.byName("flaky")?.StepDetails?.Attempt).toBe(2)
    expect(attempts).toBe(2)
  })

  it("replays a finished waitForCallback from its record when the service pruned its children", async () => {
    const service = new FakeService({}, { prune: true })
    let submitted = 0
    const handler = withDurableExecution(async (_event, ctx) => {
      const answer = await ctx.waitForCallback("approval", async () => {
        submitted++
      })
      await ctx.wait("cool-off", { seconds: 5 })
      let refused: string | undefined
      try {
        await ctx.waitForCallback("second", async () => undefined, { timeout: { seconds: 1 } })
      } catch (error) {
        refused = (error as Error).name
      }
      return { answer, refused }
    }, { durableExecutionClient: service })
    expect(await service.invoke(handler)).toEqual({ Status: "PENDING" })
    service.completeCallback("cb-1", "approved")
    expect(await service.invoke(handler)).toEqual({ Status: "PENDING" }) // now in the wait
    service.passTime()
    expect(await service.invoke(handler)).toEqual({ Status: "PENDING" }) // the second callback
    // The second callback fails (as a timeout would); its context is failed and pruned on the next read.
    const second = [...service.operations.values()].find((op) => op.Type === "CALLBACK" && op.CallbackDetails?.CallbackId === "cb-2")!
    second.Status = "TIMED_OUT"
    second.CallbackDetails = { ...second.CallbackDetails, Error: { ErrorMessage: "Callback timed out" } }
    expect(await service.invoke(handler)).toEqual({ Status: "SUCCEEDED", Result: JSON.stringify({ answer: "approved", refused: "CallbackTimeoutError" }) })
    // A replay over the pruned state: both contexts return their records.
    expect(await service.invoke(handler)).toEqual({ Status: "SUCCEEDED", Result: JSON.stringify({ answer: "approved", refused: "CallbackTimeoutError" }) })
    expect(submitted).toBe(1)
  })

  it("rejects an event that is not a durable invocation", async () => {
    const handler = withDurableExecution(async () => "x")
    await expect(handler({ hello: "world" } as never)).rejects.toThrow(/durability is set/)
  })
})
