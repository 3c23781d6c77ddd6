/**
 * Issue 18's differences from AWS's SDK 2.4.0, each run under AWS's local runner with AWS's SDK and with
 * reprise/lambda: the two must now agree (test/context/aws-parity.test.ts pins the same through reprise/testing).
 */
import { WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { describe, expect, it } from "vitest"
import { type Body, outline, runBoth } from "./harness.ts"

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

const agree = async (makeBody: () => Body, options: Parameters<typeof runBoth>[1] = {}) => {
  const { aws, reprise } = await runBoth(makeBody, options)
  expect(reprise.status).toBe(aws.status)
  expect(reprise.result).toEqual(aws.result)
  expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
  return { aws, reprise }
}

describe("reprise/lambda under AWS's local runner: issue 18's differences", () => {
  it("a StepError inside a result serialises the same", async () => {
    const { aws } = await agree(() => async (_e, ctx) => {
      try {
        await ctx.step("s", async () => {
          throw new TypeError("bad")
        }, noRetry)
      } catch (error: any) {
        return { json: JSON.parse(JSON.stringify(error)), name: error.name, cause: error.cause?.name }
      }
    })
    expect(aws.result).toEqual({ json: { cause: { name: "TypeError" }, name: "StepError", errorType: "StepError" }, name: "StepError", cause: "TypeError" })
  })

  it("a waitForCondition whose check throws, or which runs out of attempts, fails with StepError", async () => {
    const { aws } = await agree(() => async (_e, ctx) => {
      const outcome = async (run: () => Promise<unknown>) => {
        try {
          return await run()
        } catch (error: any) {
          return { name: error.name, message: error.message }
        }
      }
      return [
        await outcome(() =>
          ctx.waitForCondition("throws", async () => {
            throw new TypeError("bad check")
          }, { initialState: 1, waitStrategy: () => ({ shouldContinue: false }) })
        ),
        await outcome(() =>
          ctx.waitForCondition("gives-up", async (s: number) => s + 1, {
            initialState: 1,
            waitStrategy: (_s: number, attempt: number) => {
              if (attempt >= 2) throw new Error("waitForCondition exceeded maximum attempts (2)")
              return { shouldContinue: true, delay: { seconds: 1 } }
            }
          })
        )
      ]
    })
    expect(aws.result).toEqual([
      { name: "StepError", message: "bad check" },
      { name: "StepError", message: "waitForCondition exceeded maximum attempts (2)" }
    ])
  })

  it("a waitForCallback failed from outside throws CallbackExternalError", async () => {
    const { aws } = await agree(() => async (_e, ctx) => {
      try {
        await ctx.waitForCallback("wfc", async () => undefined)
      } catch (error: any) {
        return { name: error.name, message: error.message, cause: error.cause?.name, json: JSON.parse(JSON.stringify(error)) }
      }
    }, {
      drive: async (runner) => {
        const op = runner.getOperation("wfc")
        await op.waitForData(WaitingOperationStatus.STARTED)
        await op.sendCallbackFailure({ ErrorType: "Rejected", ErrorMessage: "nope" })
      }
    })
    expect(aws.result).toMatchObject({ name: "CallbackExternalError", message: "nope", cause: "CallbackExternalError" })
  })

  it("a waitForCallback deserializer may return a value that is not JSON", async () => {
    const { aws } = await agree(() => async (_e, ctx) => {
      const value = await ctx.waitForCallback("wfc", async () => undefined, {
        serdes: { deserialize: async (data: string) => ({ size: BigInt(data.length), at: new Date(0) }) }
      })
      return { size: String(value.size), isDate: value.at instanceof Date }
    }, {
      drive: async (runner) => {
        const op = runner.getOperation("wfc")
        await op.waitForData(WaitingOperationStatus.STARTED)
        await op.sendCallbackSuccess("hello")
      }
    })
    expect(aws.result).toEqual({ size: "5", isDate: true })
  })

  it("a step body that uses the parent's context fails the execution with AWS's message, the step left STARTED", async () => {
    const { aws, reprise } = await agree(() => async (_e, ctx) => {
      await ctx.step("outer", async () => {
        await ctx.wait({ seconds: 1 })
      })
      return "done"
    })
    expect(aws.status).toBe("FAILED")
    // AWS's words first; Reprise goes on to say which step's body made the call and what to do instead.
    expect(reprise.error?.errorMessage).toBe(
      `${aws.error?.errorMessage} Here "wait" was called inside the body of step "outer" (1), which is one checkpoint and cannot run ` +
        "durable operations: call them from the handler, or group them with the step's work in ctx.runInChildContext()."
    )
    expect(aws.tree).toEqual([{ type: "STEP", subType: "Step", name: "outer", status: "STARTED", children: [] }])
  })

  it("maxConcurrency: 0 fails the execution, uncaught, with a message naming the setting", async () => {
    const { aws, reprise } = await agree(() => async (_e, ctx) => {
      try {
        await ctx.map("m", [1, 2], async (_c: unknown, item: number) => item, { maxConcurrency: 0 })
      } catch {
        return "caught"
      }
      return "went on"
    })
    expect(aws.status).toBe("FAILED")
    expect(reprise.error?.errorMessage).toBe(aws.error?.errorMessage)
  })

  it("a custom shouldComplete is asked before items start (complete at once runs none), and its decision is the batch's status", async () => {
    const { aws } = await agree(() => async (_e, ctx) => {
      const none = await ctx.map("none", [1, 2, 3], async (c: any, x: number) => c.step("s", async () => x), {
        completionConfig: { shouldComplete: () => ({ complete: true }) }
      })
      const oneFails = await ctx.map("one-fails", [1, 2], async (c: any, x: number) =>
        c.step("s", async () => {
          if (x === 1) throw new Error("no")
          return x
        }, noRetry), { completionConfig: { shouldComplete: (s: { completedCount: number }) => ({ complete: s.completedCount === 2 }) } })
      return {
        none: [none.totalCount, none.completionReason, none.status],
        oneFails: [oneFails.status, oneFails.completionReason, oneFails.hasFailure, oneFails.successCount]
      }
    })
    expect(aws.result).toEqual({ none: [0, "CUSTOM_COMPLETION_SUCCEEDED", "SUCCEEDED"], oneFails: ["SUCCEEDED", "CUSTOM_COMPLETION_SUCCEEDED", true, 1] })
  })

  it("a promise combinator over running steps is recorded after them", async () => {
    const { aws, reprise } = await agree(() => async (_e, ctx) => {
      const a = ctx.step("a", async () => 1)
      const b = ctx.wait("b", { seconds: 2 })
      return await ctx.promise.all("all", [a, b])
    })
    const firstStarts = (events: ReadonlyArray<string>) => events.filter((e) => e.endsWith("Started") && e !== "ExecutionStarted")
    expect(firstStarts(aws.events).indexOf("ContextStarted")).toBe(2)
    expect(firstStarts(reprise.events).indexOf("ContextStarted")).toBe(2)
  })

  it("a replay that renames an operation fails with AWS's message", async () => {
    const makeBody = () => {
      let invocation = 0
      return async (_e: unknown, ctx: any) => {
        invocation++
        await ctx.step(invocation === 1 ? "a" : "b", async () => "value")
        await ctx.wait("pause", { seconds: 10 })
        return "unreachable on replay"
      }
    }
    const { aws, reprise } = await runBoth(makeBody)
    expect(aws.status).toBe("FAILED")
    expect(reprise.error?.errorMessage).toBe(aws.error?.errorMessage)
  })
})
