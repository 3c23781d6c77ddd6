/**
 * The AWS-handler service translates in the direction opposite to the Lambda adapter, over the same wire model:
 * each side must be the other's inverse. Logs come from real runs (Reprise handlers and AWS-SDK handlers under the
 * test runner).
 */
import { assert, describe, it } from "vitest"
import { durable } from "reprise"
import { makeIdResolver, stateToWire, updatesToEvents } from "reprise/aws"
import type { LogEvent, NewEvent } from "reprise/store"
import { createTestRunner } from "reprise/testing"
import { applyEvent, foldLog, initialState } from "../../src/log/fold.ts"
import { makeUpdateTranslator } from "../../adapters/lambda/log-to-updates.ts"
import { operationsToLog } from "../../adapters/lambda/wire-to-log.ts"
import { double, tour } from "./fixtures/aws-handlers.ts"

/** What both sides must agree on for each operation (times aside). */
const shapes = (events: ReadonlyArray<LogEvent>) =>
  [...foldLog(events).operations.values()].map((op) => ({
    id: op.id,
    parentId: op.parentId,
    name: op.name,
    type: op.type,
    subType: op.subType,
    status: op.status,
    attempt: op.attempt,
    result: op.result,
    errorType: op.error?.errorType
  }))

const native = durable("native", async (_: unknown, ctx) => {
  const a = await ctx.step("a", async () => 1)
  let tries = 0
  const b = await ctx.step("b", async () => {
    if (++tries < 2) throw new Error("once")
    return 2
  }, { retryStrategy: () => ({ shouldRetry: true, delay: { seconds: 1 } }) })
  await ctx.wait("w", { seconds: 5 })
  const c = await ctx.runInChildContext("c", async (inner) => inner.step("c1", async () => a + b))
  const m = await ctx.map("m", [1, 2], async (inner, item) => inner.step("sq", async () => item * item))
  const failed = await ctx.step("f", async () => {
    throw new TypeError("bad")
  }, { retryStrategy: () => ({ shouldRetry: false }) }).catch((error: Error) => error.name)
  return { c, m: m.getResults(), failed }
})

describe("the AWS-handler service's translation", () => {
  it("turns the updates the Lambda adapter makes of a log back into the same operations", async () => {
    const runner = createTestRunner({ functions: [native] })
    const execution = await runner.run("native", {})
    assert.strictEqual(execution.status, "SUCCEEDED")
    const history = execution.history as ReadonlyArray<LogEvent>
    const first = history[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>
    const translator = makeUpdateTranslator(new Map())
    const state = initialState(first)
    const resolver = makeIdResolver(0)
    const rebuilt: Array<LogEvent> = [first]
    for (const event of history.slice(1)) {
      const updates = translator.updatesFor(event)
      if (updates.length > 0) {
        const { events } = updatesToEvents(updates, { state, resolver, now: event.at, executionId: first.executionId })
        for (const made of events) {
          const stored = { ...made, seq: rebuilt.length + 1, at: event.at } as LogEvent
          rebuilt.push(stored)
          applyEvent(state, stored)
        }
      } else if ("id" in event) {
        // Completions that belong to the service (a wait's end): the service writes them as they are.
        const stored = { ...event, seq: rebuilt.length + 1 } as LogEvent
        rebuilt.push(stored)
        applyEvent(state, stored)
      }
    }
    assert.deepStrictEqual(shapes(rebuilt), shapes(history))
  })

  it("gives AWS's SDK a state that the Lambda adapter reads back as the same operations", async () => {
    const runner = createTestRunner({ functions: [tour, double] })
    const execution = await runner.run("aws-tour", { n: 2 }, { callbacks: { approval: () => ({ succeed: "ok" }) } })
    assert.strictEqual(execution.status, "SUCCEEDED")
    const history = execution.history as ReadonlyArray<LogEvent>
    const state = foldLog(history)
    const wire = stateToWire(state, Date.now())
    // The service leaves out the children of finished contexts; so does the state given to the SDK.
    assert.isUndefined(wire.find((op) => op.Name === "inner-a"))
    const read = operationsToLog(state.executionId, "aws-tour", wire, Date.now())
    const top = (events: ReadonlyArray<LogEvent>) => shapes(events).filter((op) => op.parentId === undefined)
    assert.deepStrictEqual(top(read.events as ReadonlyArray<LogEvent>), top(history))
  })

  it("refuses a checkpoint that names a parent it does not know, writing nothing", () => {
    const first: Extract<LogEvent, { _tag: "ExecutionStarted" }> = {
      _tag: "ExecutionStarted", seq: 1, at: 0, executionId: "x", functionName: "f", timeoutAt: 1e15, retentionMs: 1
    }
    const state = initialState(first)
    let events: ReadonlyArray<NewEvent> | undefined
    assert.throws(() => {
      events = updatesToEvents([{ Id: "abc", ParentId: "nope", Type: "STEP", Action: "START" }], { state, resolver: makeIdResolver(0), now: 0, executionId: "x" }).events
    }, /Invalid parent operation id/)
    assert.isUndefined(events)
  })
})
