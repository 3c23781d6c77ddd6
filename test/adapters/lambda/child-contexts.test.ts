import * as aws from "@aws/durable-execution-sdk-js"
import { describe, expect, it } from "vitest"
import * as reprise from "../../../src/index.ts"
import { type Body, outline, runBoth, runUnder } from "./harness.ts"

/** The same body under both SDKs, each given its own SDK's exports (the error classes a user imports). */
const runWithEach = async (makeBody: (sdk: typeof aws) => Body) => ({
  aws: await runUnder("aws", makeBody(aws)),
  reprise: await runUnder("reprise", makeBody(reprise as unknown as typeof aws))
})

describe("reprise/lambda under AWS's local runner: child contexts", () => {
  it("nests contexts with steps and waits, and reports a failing one as ChildContextError", async () => {
    const makeBody = () => async (_event: unknown, ctx: any) => {
      const outer = await ctx.runInChildContext("outer", async (outerCtx: any) => {
        const a = await outerCtx.step("a", async () => 1)
        const inner = await outerCtx.runInChildContext("inner", async (innerCtx: any) => {
          await innerCtx.wait("nap", { minutes: 5 })
          return (await innerCtx.step("leaf", async () => 2)) + a
        })
        return { a, inner }
      })
      let failure: string | undefined
      try {
        await ctx.runInChildContext("broken", async (child: any) => {
          await child.step("ok", async () => "fine")
          throw new Error("the child gave up")
        })
      } catch (error) {
        failure = `${(error as Error).name}: ${(error as Error).message}`
      }
      const unnamed = await ctx.runInChildContext(async (child: any) => child.step(async () => "unnamed"))
      return { outer, failure, unnamed }
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("SUCCEEDED")
    expect(reprise.status).toBe(aws.status)
    expect(reprise.result).toEqual({ outer: { a: 1, inner: 3 }, failure: "ChildContextError: the child gave up", unnamed: "unnamed" })
    expect(reprise.result).toEqual(aws.result)
    expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
    expect(reprise.ids).toEqual(aws.ids)
  })

  it("hands errorMapper the failure rebuilt from its record, on the first run and on replay", async () => {
    const makeBody = (sdk: typeof aws) => async (_event: unknown, ctx: any) => {
      const seen: Array<unknown> = []
      const caught = await ctx.runInChildContext("pay", async (child: any) => {
        await child.wait("settle", { seconds: 5 })
        throw new RangeError("card declined")
      }, {
        errorMapper: (e: any) => {
          seen.push({ name: e.name, message: e.message, step: e instanceof sdk.StepError, causeName: e.cause?.name })
          return e
        }
      }).catch((error: any) => ({ name: error.name, message: error.message }))
      return { seen, caught }
    }
    const { aws: theirs, reprise: ours } = await runWithEach(makeBody)
    expect(theirs.status).toBe("SUCCEEDED")
    expect(ours.result).toEqual({
      seen: [{ name: "StepError", message: "card declined", step: true, causeName: "RangeError" }],
      caught: { name: "StepError", message: "card declined" }
    })
    expect(ours.result).toEqual(theirs.result)
  })

  it("keeps the errorData of a StepError a step throws, built with AWS's arguments", async () => {
    const makeBody = (sdk: typeof aws) => async (_event: unknown, ctx: any) => {
      const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }
      return ctx.step("charge", async () => {
        throw new sdk.StepError("declined", undefined, '{"code":42}')
      }, noRetry).catch((error: any) => ({ name: error.name, message: error.message, errorData: error.errorData }))
    }
    const { aws: theirs, reprise: ours } = await runWithEach(makeBody)
    expect(ours.result).toEqual({ name: "StepError", message: "declined", errorData: '{"code":42}' })
    expect(ours.result).toEqual(theirs.result)
  })
})
