/**
 * A failure's lines on the Node server, as an operator reads them: in JSON the step's and the execution's lines carry
 * the error's fields (errorType, errorMessage, its frames and its causes, down to the root one, which the message
 * leaves out); in a terminal the causes follow the line, each with the place it was thrown.
 */
import { assert, describe, it } from "@effect/vitest"
import { serve } from "../../../adapters/node/serve.ts"
import { durable } from "../../../src/index.ts"

const charge = durable("charge", async (_: unknown, ctx) =>
  ctx.step("call-bank", async () => {
    throw new Error("the bank declined", { cause: new TypeError("socket hang up") })
  }, { retryStrategy: () => ({ shouldRetry: false }) }))

/** The lines a server writes while one execution of `charge` runs to its end. */
const linesOf = async (format: "json" | "pretty") => {
  const lines: Array<string> = []
  const server = await serve({ functions: [charge], dbPath: ":memory:", port: 0, handleSignals: false, logging: { format, level: "info", write: (line) => lines.push(line) } })
  try {
    const res = await fetch(`${server.url}/v1/functions/charge/executions?wait=10`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
    assert.strictEqual(((await res.json()) as { status: string }).status, "FAILED")
  } finally {
    await server.close()
  }
  return lines
}

describe("a failure's log lines", () => {
  it("in JSON, carry the error's type, message, frames and causes", async () => {
    const lines = (await linesOf("json")).map((line) => JSON.parse(line) as Record<string, any>)
    const ended = lines.find((line) => String(line.message).startsWith("ended FAILED"))!
    assert.strictEqual(ended.level, "error")
    assert.strictEqual(ended.errorType, "StepError")
    assert.strictEqual(ended.errorMessage, "the bank declined")
    assert.deepStrictEqual(ended.causes.map((cause: any) => `${cause.errorType}: ${cause.errorMessage}`), ["Error: the bank declined", "TypeError: socket hang up"])
    assert.match(ended.causes[1].stackTrace[0], /failure-log-lines\.test\.ts:\d+:\d+/)
    const step = lines.find((line) => String(line.message).startsWith(`step "call-bank" failed`))!
    assert.strictEqual(step.operationId, "1")
    assert.strictEqual(step.errorType, "Error")
    assert.match(step.stackTrace[0], /failure-log-lines\.test\.ts:\d+:\d+/)
    assert.deepStrictEqual(step.causes.map((cause: any) => cause.errorType), ["TypeError"])
    // A line without a failure has none of these fields.
    assert.isUndefined(lines.find((line) => line.message === "started")?.errorType)
  })

  it("in a terminal, show the causes under the line, and not the fields again", async () => {
    const lines = await linesOf("pretty")
    const ended = lines.find((line) => line.includes("ended FAILED"))!
    const [head, ...below] = ended.split("\n")
    assert.match(head!, /ended FAILED in \d+ ms: StepError: the bank declined \(at .*failure-log-lines\.test\.ts:\d+:\d+\)$/)
    assert.notInclude(head!, "errorType=")
    assert.strictEqual(below.length, 2)
    assert.match(below[1]!, /^ {2}caused by TypeError: socket hang up \(at .*failure-log-lines\.test\.ts:\d+:\d+\)$/)
  })
})
