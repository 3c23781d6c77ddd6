/**
 * The names code written for AWS's SDK imports, taken from Reprise instead: AWS's enum objects hold the same values
 * (checked against AWS's package itself), and its class serdes read a stored value back the same way.
 */
import * as aws from "@aws/durable-execution-sdk-js"
import { describe, expect, it } from "vitest"
import * as lambda from "../../adapters/lambda/index.ts"
import * as reprise from "../../src/index.ts"

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
})
