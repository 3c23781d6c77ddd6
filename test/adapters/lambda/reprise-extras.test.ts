/** What Reprise adds to AWS's API, on Lambda: durable() functions, recorded values, Date waits. */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { withDurableExecution } from "../../../adapters/lambda/index.ts"
import { durable } from "../../../src/index.ts"
import { setUpRunnerEnvironment, tearDownRunnerEnvironment } from "./runner-environment.ts"

describe("reprise/lambda: Reprise's own additions under AWS's local runner", () => {
  beforeEach(() => setUpRunnerEnvironment({ skipTime: true }))
  afterEach(() => tearDownRunnerEnvironment())

  it("serves a durable() function, and replays ctx.now/random/uuid with the values recorded on first run", async () => {
    const seen: Array<string> = []
    const fn = durable("stamped", async (event: { who: string }, ctx) => {
      const at = await ctx.now()
      const id = await ctx.uuid()
      const roll = await ctx.random()
      seen.push(`${at.getTime()}|${id}|${roll}`)
      await ctx.wait("pause", { minutes: 10 })
      return { who: event.who, id, roll }
    })
    const runner = new LocalDurableTestRunner({ handlerFunction: withDurableExecution(fn) })
    const result = await runner.run({ payload: { who: "ada" } })
    expect(result.getStatus()).toBe("SUCCEEDED")
    expect(seen).toHaveLength(2) // the first run and the replay after the wait
    expect(seen[1]).toBe(seen[0])
    expect(result.getOperations().map((op) => `${op.getType()}/${op.getSubType()}`)).toEqual(["STEP/Now", "STEP/Uuid", "STEP/Random", "WAIT/Wait"])
    const output = result.getResult() as { id: string; roll: number }
    expect(output.id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("refuses ctx.patched (the service keeps no patch markers): the execution fails with a ConfigurationError", async () => {
    const ran: Array<string> = []
    const fn = durable("patched-on-lambda", async (_: unknown, ctx) => {
      await ctx.step("before", async () => void ran.push("before"))
      if (ctx.patched("p")) await ctx.step("new", async () => void ran.push("new"))
      return "done"
    })
    const runner = new LocalDurableTestRunner({ handlerFunction: withDurableExecution(fn) })
    const result = await runner.run()
    expect(result.getStatus()).toBe("FAILED")
    expect(result.getError()).toMatchObject({ errorType: "ConfigurationError" })
    expect(String(result.getError()?.errorMessage)).toContain("Lambda's durable-execution service keeps only operations")
    expect(ran).toEqual(["before"])
  })

  it("refuses ctx.continueAsNew (the service would keep neither its end nor the link): a ConfigurationError", async () => {
    const fn = durable("continue-on-lambda", async (input: { n: number }, ctx) => {
      await ctx.step("tick", async () => input.n)
      return ctx.continueAsNew({ n: input.n + 1 })
    })
    const runner = new LocalDurableTestRunner({ handlerFunction: withDurableExecution(fn) })
    const result = await runner.run({ payload: { n: 0 } })
    expect(result.getStatus()).toBe("FAILED")
    expect(result.getError()).toMatchObject({ errorType: "ConfigurationError" })
    expect(String(result.getError()?.errorMessage)).toContain("ctx.continueAsNew needs a store that keeps the whole log")
  })

  it("fails the execution with the handler's error, as AWS's SDK reports it", async () => {
    const runner = new LocalDurableTestRunner({
      handlerFunction: withDurableExecution(async (_event, ctx) => {
        await ctx.step("fine", async () => 1)
        throw Object.assign(new Error("out of stock"), { name: "OutOfStock" })
      }) as never
    })
    const result = await runner.run()
    expect(result.getStatus()).toBe("FAILED")
    expect(result.getError()).toMatchObject({ errorType: "OutOfStock", errorMessage: "out of stock" })
  })
})
