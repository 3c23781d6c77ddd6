/**
 * A checkpoint answered without a CheckpointToken means the service has taken the invocation away: the invocation
 * applies none of that answer, sends nothing more, logs a warning and ends as PENDING (the fix AWS made in its SDK).
 */
import { afterEach, describe, expect, it, vi } from "vitest"
import { withDurableExecution } from "../../../adapters/lambda/index.ts"
import { FakeService } from "./fake-service.ts"

afterEach(() => vi.restoreAllMocks())

describe("an invocation the service takes away", () => {
  it("ends as PENDING at the first checkpoint without a token, sending nothing after it", async () => {
    const warnings: Array<string> = []
    vi.spyOn(console, "warn").mockImplementation((...args: Array<unknown>) => void warnings.push(args.join(" ")))
    const service = new FakeService({}, { takeAwayAt: 2 })
    let bodies = 0
    const handler = withDurableExecution(async (_event, ctx) => {
      const a = await ctx.step("first", async () => ++bodies)
      const b = await ctx.step("second", async () => ++bodies)
      const c = await ctx.step("third", async () => ++bodies)
      return a + b + c
    }, { durableExecutionClient: service })

    expect(await service.invoke(handler)).toEqual({ Status: "PENDING" })
    expect(service.calls.length).toBe(2) // the first step's checkpoint, then the one answered without a token
    expect(bodies).toBe(2) // the third step never started: nothing is sent once the invocation is gone
    expect(warnings.some((line) => line.includes("taken this invocation away") && line.includes(service.arn))).toBe(true)
  })
})
