/**
 * The same handler, written with AWS's SDK, run two ways: by AWS's SDK under AWS's own local runner (the
 * reference), and by AWS's SDK as a Reprise function (`awsHandler`) under Reprise's test runner. Status, result,
 * the operation tree (type, subtype, name, status) and the wire ids must agree.
 */
import { createRetryStrategy, withDurableExecution } from "@aws/durable-execution-sdk-js"
import { WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { describe, expect, it } from "vitest"
import { awsHandler, wireId } from "reprise/aws"
import type { DurableFunction } from "reprise"
import { createTestRunner, type CallbackReply } from "reprise/testing"
import { type Body, type OperationNode, outline, runUnder } from "../adapters/lambda/harness.ts"

interface Scenario {
  readonly body: () => Body
  readonly payload?: unknown
  /** A callback to complete, by the name AWS's runner finds it under (a waitForCallback's or createCallback's). */
  readonly callback?: { readonly name: string; readonly reply: CallbackReply & object }
  /** Durable functions the body invokes, by name. */
  readonly targets?: Readonly<Record<string, Body>>
}

const canonical = (nodes: ReadonlyArray<OperationNode>): ReadonlyArray<OperationNode> =>
  nodes.map((node) => ({ ...node, children: canonical(node.children) })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

const underReprise = async (scenario: Scenario) => {
  const targets: Array<DurableFunction> = Object.entries(scenario.targets ?? {}).map(([name, body]) => awsHandler(name, withDurableExecution(body)))
  const runner = createTestRunner({ functions: [awsHandler("subject", withDurableExecution(scenario.body())), ...targets] })
  const callback = scenario.callback
  const execution = await runner.run("subject", scenario.payload ?? {}, callback === undefined ? {} : { callbacks: { [callback.name]: () => callback.reply } })
  const nodes = new Map<string, { node: OperationNode & { children: Array<OperationNode> }; parent: string | undefined }>()
  for (const op of execution.operations) {
    nodes.set(op.id, { node: { type: op.type, subType: op.subType, name: op.name, status: op.status, children: [] }, parent: op.parentId })
  }
  const roots: Array<OperationNode> = []
  for (const { node, parent } of nodes.values()) {
    const owner = parent === undefined ? undefined : nodes.get(parent)
    if (owner === undefined) roots.push(node)
    else owner.node.children.push(node)
  }
  return {
    status: execution.status,
    result: execution.result,
    error: execution.error === undefined ? undefined : { errorType: execution.error.errorType, errorMessage: execution.error.errorMessage },
    tree: canonical(roots),
    ids: execution.operations.map((op) => `${wireId(op.id)} < ${op.parentId === undefined ? "root" : wireId(op.parentId)} ${op.type} ${op.name ?? ""}`).sort()
  }
}

const underAws = (scenario: Scenario) =>
  runUnder("aws", scenario.body(), {
    ...(scenario.payload === undefined ? {} : { payload: scenario.payload }),
    register: (runner) => {
      for (const [name, body] of Object.entries(scenario.targets ?? {})) runner.registerDurableFunction(name, withDurableExecution(body))
    },
    ...(scenario.callback === undefined ? {} : {
      drive: async (runner) => {
        const { name, reply } = scenario.callback!
        const op = runner.getOperation(name)
        await op.waitForData(WaitingOperationStatus.STARTED)
        if ("succeed" in reply) await op.sendCallbackSuccess(reply.succeed)
        else await op.sendCallbackFailure({ ErrorType: reply.fail.errorType, ErrorMessage: reply.fail.errorMessage })
      }
    })
  })

const agree = async (scenario: Scenario) => {
  const aws = await underAws(scenario)
  const reprise = await underReprise(scenario)
  expect(reprise.status).toBe(aws.status)
  expect(reprise.result).toEqual(aws.result)
  expect(reprise.error).toEqual(aws.error)
  expect(reprise.tree, outline(reprise.tree)).toEqual(aws.tree)
  expect(reprise.ids).toEqual(aws.ids)
  return { aws, reprise }
}

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

describe("awsHandler agrees with AWS's local runner", () => {
  it("steps retried with backoff, and one that fails for good", async () => {
    const { aws } = await agree({
      body: () => {
        let calls = 0
        return async (_e, ctx) => {
          const flaky = await ctx.step("flaky", async () => {
            if (++calls < 3) throw new Error(`try ${calls}`)
            return calls
          }, { retryStrategy: createRetryStrategy({ maxAttempts: 4, initialDelay: { seconds: 1 } }) })
          const failed = await ctx.step("broken", async () => {
            throw new RangeError("out of range")
          }, noRetry).catch((error: Error) => `${error.name}: ${error.message}`)
          return { flaky, failed }
        }
      }
    })
    expect(aws.result).toEqual({ flaky: 3, failed: "StepError: out of range" })
  })

  it("a wait, nested child contexts, and an at-most-once step", async () => {
    await agree({
      body: () => async (_e, ctx) => {
        await ctx.wait("nap", { seconds: 90 })
        const nested = await ctx.runInChildContext("outer", async (outer: any) =>
          outer.runInChildContext("inner", async (inner: any) => inner.step("leaf", async () => "leaf!"))
        )
        const once = await ctx.step("once", async () => 1, { semantics: "AT_MOST_ONCE_PER_RETRY" as any })
        return { nested, once }
      }
    })
  })

  it("map with a completion policy, and parallel with named branches", async () => {
    await agree({
      body: () => async (_e, ctx) => {
        const mapped = await ctx.map("items", [1, 2, 3, 4], async (item: any, n: number) => {
          if (n === 2) throw new Error("two is bad")
          return item.step("work", async () => n * 10)
        }, { completionConfig: { toleratedFailureCount: 1 } })
        const branches = await ctx.parallel("fan", [
          { name: "left", func: async (c: any) => c.step("l", async () => "L") },
          { name: "right", func: async (c: any) => c.wait("r-wait", { seconds: 2 }).then(() => "R") }
        ])
        return { results: mapped.getResults(), failures: mapped.failureCount, reason: mapped.completionReason, branches: branches.getResults() }
      }
    })
  })

  it("waitForCondition polling on durable timers, and promise combinators", async () => {
    await agree({
      body: () => async (_e, ctx) => {
        const polled = await ctx.waitForCondition("poll", async (state: number) => state + 1, {
          initialState: 0,
          waitStrategy: (state: number) => (state >= 3 ? { shouldContinue: false } : { shouldContinue: true, delay: { seconds: 5 } })
        })
        const a = ctx.step("a", async () => "A")
        const b = ctx.step("b", async () => "B")
        const all = await ctx.promise.all("both", [a, b])
        return { polled, all }
      }
    })
  })

  it("a waitForCallback completed from outside", async () => {
    const { aws } = await agree({
      body: () => async (_e, ctx) => {
        const answer = await ctx.waitForCallback("approval", async () => undefined, { timeout: { minutes: 5 } })
        return { answer }
      },
      callback: { name: "approval", reply: { succeed: "granted" } }
    })
    expect(aws.result).toEqual({ answer: "granted" })
  })

  it("a createCallback failed from outside", async () => {
    const { aws } = await agree({
      body: () => async (_e, ctx) => {
        const [promise] = await ctx.createCallback("ask")
        return promise.then((v: unknown) => ({ v }), (error: Error) => ({ name: error.name, message: error.message }))
      },
      callback: { name: "ask", reply: { fail: { errorType: "Rejected", errorMessage: "nope" } } }
    })
    expect(aws.result).toEqual({ name: "CallbackExternalError", message: "nope" })
  })

  it("invokes another durable function, and fails like AWS when the handler throws", async () => {
    await agree({
      payload: { n: 6 },
      targets: { "triple-fn": async (event: { n: number }, ctx: any) => ctx.step("triple", async () => event.n * 3) },
      body: () => async (event: { n: number }, ctx) => {
        const tripled = await ctx.invoke("triple", "triple-fn", { n: event.n })
        if (tripled > 10) throw new TypeError(`too big: ${tripled}`)
        return tripled
      }
    })
  })

  it("a callback nobody answers times out", async () => {
    const { aws } = await agree({
      body: () => async (_e, ctx) => {
        const [promise] = await ctx.createCallback("lonely", { timeout: { seconds: 1 } })
        return promise.then((v: unknown) => ({ v }), (error: Error) => ({ name: error.name, message: error.message }))
      }
    })
    expect(aws.result).toEqual({ name: "CallbackTimeoutError", message: "Callback timed out" })
  })
})
