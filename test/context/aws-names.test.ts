/**
 * The names code written for AWS's SDK imports, taken from Reprise instead: AWS's enum objects hold the same values
 * (checked against AWS's package itself), and its class serdes read a stored value back the same way.
 */
import * as aws from "@aws/durable-execution-sdk-js"
import { describe, expect, it } from "vitest"
import * as lambda from "../../adapters/lambda/index.ts"
import * as reprise from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

class Order {
  id = ""
  placedAt: Date | undefined
  shipping: { due?: Date | string } = {}
  total(): string {
    return `order ${this.id}`
  }
}

const context = { entityId: "1", executionId: "e", durableExecutionArn: "e" }

describe("AWS's names, from reprise", () => {
  it("has AWS's enum objects with AWS's values", () => {
    for (const name of ["BatchItemStatus", "OperationStatus", "OperationType", "OperationSubType", "NestingType", "CompletionOutcome", "JitterStrategy"] as const) {
      expect(reprise[name], name).toEqual(aws[name])
    }
    for (const name of ["InvocationStatus", "OperationAction"] as const) expect(lambda[name], name).toEqual(aws[name])
  })

  it("reads a class back with createClassSerdes and its dates with createClassSerdesWithDates, as AWS's do", async () => {
    const order = Object.assign(new Order(), { id: "o-1", placedAt: new Date("2026-12-05T10:00:00Z"), shipping: { due: new Date("2026-12-07T00:00:00Z") } })
    for (const [ours, theirs] of [
      [reprise.createClassSerdes(Order), aws.createClassSerdes(Order)],
      [reprise.createClassSerdesWithDates(Order, ["placedAt", "shipping.due"]), aws.createClassSerdesWithDates(Order, ["placedAt", "shipping.due"])]
    ] as const) {
      const stored = await ours.serialize(order, context)
      expect(stored).toBe(await theirs.serialize(order, context))
      const back = await ours.deserialize(stored, context)
      expect(back).toBeInstanceOf(Order)
      expect(back?.total()).toBe("order o-1")
      expect(back).toEqual(await theirs.deserialize(stored, context))
      expect(await ours.deserialize(undefined, context)).toBeUndefined()
    }
  })

  it("builds its error classes with AWS's arguments, messages and shapes", () => {
    const cause = new RangeError("out of range")
    const shape = (error: any) => ({
      name: error.name,
      message: error.message,
      errorType: error.errorType,
      errorData: error.errorData,
      cause: error.cause,
      object: error.toErrorObject()
    })
    for (const name of ["StepError", "CallbackError", "CallbackExternalError", "CallbackTimeoutError", "CallbackSubmitterError", "InvokeError", "ChildContextError", "WaitForConditionError", "PromiseCombinatorError"] as const) {
      const Ours = reprise[name] as any
      const Theirs = aws[name] as any
      expect(shape(new Ours()), name).toEqual(shape(new Theirs()))
      expect(shape(new Ours("declined", cause, '{"code":42}')), name).toEqual(shape(new Theirs("declined", cause, '{"code":42}')))
    }
    // The data of a cause surfaces where the error has none of its own.
    const inner = new reprise.StepError("inner", undefined, "data")
    expect(new reprise.ChildContextError("outer", inner).toErrorObject()).toEqual(new aws.ChildContextError("outer", new aws.StepError("inner", undefined, "data")).toErrorObject())
    expect(shape(new reprise.BatchCompletionError("CUSTOM_COMPLETION_FAILED"))).toEqual(shape(new aws.BatchCompletionError("CUSTOM_COMPLETION_FAILED" as any)))
    expect(new reprise.BatchCompletionError("CUSTOM_COMPLETION_FAILED").completionReason).toBe("CUSTOM_COMPLETION_FAILED")
  })

  it("rebuilds an error from its object as AWS's fromErrorObject does: its type's class, else a StepError", () => {
    for (const type of ["StepError", "CallbackTimeoutError", "InvokeError", "ChildContextError", "PaymentDeclined", undefined]) {
      const object = { ErrorType: type, ErrorMessage: "declined", ErrorData: "{}" }
      const ours = reprise.DurableOperationError.fromErrorObject(object) as any
      const theirs = aws.DurableOperationError.fromErrorObject(object) as any
      expect({ name: ours.name, message: ours.message, errorData: ours.errorData, causeName: ours.cause.name }, String(type))
        .toEqual({ name: theirs.name, message: theirs.message, errorData: theirs.errorData, causeName: theirs.cause.name })
    }
    // Reprise's own shape (the HTTP API's, the history's) is read too.
    expect(reprise.DurableOperationError.fromErrorObject({ errorType: "InvokeError", errorMessage: "no" })).toBeInstanceOf(reprise.InvokeError)
  })
})

describe("AWS's type names, from reprise", () => {
  // Written as code moved from AWS's SDK writes them: the type check (npm test's tsc) fails on a name reprise lacks,
  // and values typed by AWS's own types must fit reprise's. Then they drive a real execution.
  it("has AWS's names for handlers, strategies, completion policies, serdes and waitForCondition's functions", async () => {
    const awsRetry: aws.RetryStrategyConfig = { maxAttempts: 2, retryableErrorTypes: [RangeError] }
    const retry: reprise.RetryStrategyConfig = awsRetry
    const awsLinear: aws.LinearRetryStrategyConfig = { maxAttempts: 2 }
    const linear: reprise.LinearRetryStrategyConfig = awsLinear
    const awsThreshold: aws.ThresholdCompletionConfig = { toleratedFailureCount: 1 }
    const threshold: reprise.ThresholdCompletionConfig = awsThreshold
    const custom: reprise.CustomCompletionConfig = {
      shouldComplete: (status) => {
        const items: ReadonlyArray<reprise.CompletionItemStatus> = status.items
        return items.filter((item) => item.status === reprise.BatchItemStatus.SUCCEEDED).length >= 2 ? reprise.completeBatch() : reprise.continueBatch()
      }
    }
    const serdes: reprise.AnySerdes = reprise.defaultSerdes
    const reader: reprise.AnySerdesDeserializer = serdes
    const check: reprise.WaitForConditionCheckFunc<number> = async (polls) => polls + 1
    const strategy: reprise.WaitForConditionWaitStrategyFunc<number> = (polls) => (polls < 3 ? { shouldContinue: true, delay: { seconds: 1 } } : { shouldContinue: false })
    const handler: reprise.DurableExecutionHandler<{ items: Array<number> }, unknown> = async (event, ctx) => {
      ctx.configureSerdes({ defaultSerdes: serdes, defaultCallbackDeserializer: reader })
      const tolerant = await ctx.map("tolerant", event.items, async (item, n) =>
        item.step(async () => {
          if (n === 2) throw new RangeError("two")
          return n
        }, { retryStrategy: reprise.createRetryStrategy(retry) }), { completionConfig: threshold })
      const quorum = await ctx.map("quorum", event.items, async (item, n) => item.step(async () => n, { retryStrategy: reprise.createLinearRetryStrategy(linear) }), {
        completionConfig: custom,
        maxConcurrency: 1
      })
      const polls = await ctx.waitForCondition("polls", check, { initialState: 0, waitStrategy: strategy })
      return { tolerant: tolerant.getResults(), quorum: quorum.getResults(), polls }
    }
    const runner = createTestRunner({ functions: [reprise.durable("aws-names", handler)] })
    try {
      const execution = await runner.run("aws-names", { items: [1, 2, 3] })
      expect(execution.expectSucceeded()).toEqual({ tolerant: [1, 3], quorum: [1, 2], polls: 3 })
      expect(execution.getOperation("tolerant")?.children().map((item) => item.status)).toEqual(["SUCCEEDED", "FAILED", "SUCCEEDED"])
    } finally {
      await runner.dispose()
    }
  })
})
