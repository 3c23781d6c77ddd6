/**
 * The replay check (`replayCheck`, `reprise replay-check`) on AWS-SDK handlers: AWS's SDK replays the recorded log
 * once, without writing; a change it detects (another name, type or subtype where the log has an operation) is
 * reported with both calls.
 */
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import { assert, describe, it } from "vitest"
import { awsHandler } from "reprise/aws"
import { createTestRunner, replayCheck } from "reprise/testing"

const version = (stepName: string) =>
  awsHandler("aws-versioned", withDurableExecution(async (event: { n: number }, context) => {
    const a = await context.step("first", async () => event.n)
    const b = await context.step(stepName, async () => a + 1)
    const answer = await context.waitForCallback("approval", async () => undefined)
    return { b, answer }
  }))

describe("replayCheck on awsHandler functions", () => {
  it("replays a recorded log with the same code cleanly, and reports a renamed step", async () => {
    const runner = createTestRunner({ functions: [version("second")] })
    const execution = await runner.start("aws-versioned", { n: 1 })
    await execution.settle()
    assert.strictEqual(execution.status, "RUNNING")
    const history = { executionId: execution.executionId, events: execution.history }
    const writtenBefore = execution.history.length

    const [same] = await replayCheck([version("second")], [history])
    assert.strictEqual(same?.verdict, "replays cleanly", JSON.stringify(same))

    const [renamed] = await replayCheck([version("second-renamed")], [history])
    assert.strictEqual(renamed?.verdict, "non-deterministic", JSON.stringify(renamed))
    if (renamed?.verdict !== "non-deterministic") return
    assert.strictEqual(renamed.operationId, "2")
    assert.deepStrictEqual(renamed.recorded, { type: "STEP", subType: "Step", name: "second" })
    assert.deepStrictEqual(renamed.call, { type: "STEP", subType: "Step", name: "second-renamed" })
    assert.match(renamed.message, /^\[Unrecoverable Execution\] Non-deterministic execution detected: Operation name mismatch for step "2"/)

    // The check wrote nothing: the execution goes on from where it was.
    await execution.refresh()
    assert.strictEqual(execution.history.length, writtenBefore)
    await execution.sendCallbackSuccess("approval", "yes")
    await execution.settle()
    assert.deepStrictEqual(execution.result, { b: 2, answer: "yes" })
  })
})
