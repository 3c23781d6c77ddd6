/**
 * Contract checks for operating executions: rewind (a stopped execution runs again from an operation), fork (a new
 * execution from a copy of the log before an operation), `ctx.continueAsNew` (a chain of short logs), and the
 * listing saying why executions failed or were stopped.
 */
import { problemType, type ProblemKind } from "reprise/http"
import { assert } from "vitest"
import { type Api, type Reply, until, untilCallbackId, untilEnded } from "./api.ts"
import type { Check } from "./checks.ts"

const assertProblem = (reply: Reply, status: number, kind: ProblemKind) => {
  assert.strictEqual(reply.status, status, JSON.stringify(reply.body))
  assert.include(reply.contentType, "application/problem+json")
  assert.strictEqual(reply.body.type, problemType(kind))
}
const tags = (reply: Reply): Array<string> => reply.body.events.map((e: { _tag: string; name?: string }) => (e.name === undefined ? e._tag : `${e._tag}:${e.name}`))
const post = (path: string, json: unknown) => ["POST", path, { json }] as const

export const rewind: Check = {
  name: "rewind runs a stopped execution again from an operation under the same id; wrong requests are refused and change nothing",
  run: async ({ api, tag }) => {
    const label = `rewind-${tag}`
    assert.strictEqual((await api.start("contract-approval", { label }, { name: label })).status, 201)
    const first = await untilCallbackId(api, label)
    const path = `/v1/executions/${encodeURIComponent(label)}/rewind`
    assertProblem(await api.request(...post(path, { fromOperation: "2" })), 409, "execution-not-rewindable")
    assert.strictEqual((await api.stop(label, "operator")).status, 200)
    const stopped = (await api.history(label)).body.events.length
    assertProblem(await api.request(...post(path, { fromOperation: "9" })), 400, "invalid-request")
    assertProblem(await api.request(...post(path, { fromOperation: "2-1" })), 400, "invalid-request")
    assertProblem(await api.request(...post(path, {})), 400, "invalid-request")
    assertProblem(await api.request(...post(`/v1/executions/nobody-${tag}/rewind`, { fromOperation: "1" })), 404, "execution-not-found")
    assert.strictEqual((await api.history(label)).body.events.length, stopped)

    const rewound = await api.request(...post(path, { fromOperation: "2" }))
    assert.strictEqual(rewound.status, 200, JSON.stringify(rewound.body))
    assert.strictEqual(rewound.body.rewinds, 1)
    const second = await untilCallbackId(api, label)
    assert.notStrictEqual(second, first)
    assert.strictEqual((await api.succeed(second, "\"again\"")).status, 204)
    const end = await untilEnded(api, label)
    assert.strictEqual(end.status, "SUCCEEDED")
    assert.deepStrictEqual(end.result, { label, answer: "\"again\"" })
    const order = tags(await api.history(label))
    assert.strictEqual(order.filter((t) => t === "StepSucceeded:prepare").length, 1, "prepare, before operation 2, did not run again")
    assert.isAbove(order.indexOf("ExecutionRewound"), order.indexOf("ExecutionStopped"))
    assertProblem(await api.request(...post(path, { fromOperation: "2" })), 409, "execution-not-rewindable")
  }
}

export const fork: Check = {
  name: "fork starts a new execution from a copy of the log before an operation; the source is untouched",
  run: async ({ api, tag }) => {
    const label = `fork-${tag}`
    assert.strictEqual((await api.start("contract-approval", { label }, { name: label })).status, 201)
    assert.strictEqual((await api.succeed(await untilCallbackId(api, label), "\"first\"")).status, 204)
    assert.strictEqual((await untilEnded(api, label)).status, "SUCCEEDED")
    const source = (await api.history(label)).body.events
    const path = `/v1/executions/${encodeURIComponent(label)}/fork`
    assertProblem(await api.request(...post(path, { fromOperation: "9" })), 400, "invalid-request")
    assertProblem(await api.request(...post(path, { fromOperation: "2", extra: 1 })), 400, "invalid-request")

    const forked = await api.request(...post(path, { fromOperation: "2" }))
    assert.strictEqual(forked.status, 201, JSON.stringify(forked.body))
    const id = forked.body.executionId as string
    assert.deepStrictEqual(forked.body.forkedFrom, { executionId: label, operationId: "2" })
    assert.strictEqual((await api.succeed(await untilCallbackId(api, id), "\"second\"")).status, 204)
    const end = await untilEnded(api, id)
    assert.deepStrictEqual(end.result, { label, answer: "\"second\"" })
    const order = tags(await api.history(id))
    assert.strictEqual(order[0], "ExecutionStarted")
    assert.strictEqual(order[1], "StepSucceeded:prepare") // copied, not run
    assert.deepStrictEqual((await api.history(label)).body.events, source)
  }
}

export const continueAsNew: Check = {
  name: "ctx.continueAsNew goes on in linked runs <id>~2, <id>~3 with short logs, and ends with the result",
  run: async ({ api, tag }) => {
    const label = `chain-${tag}`
    assert.strictEqual((await api.start("contract-chain", { done: 0, total: 5 }, { name: label })).status, 201)
    const end = await untilEnded(api, `${label}~3`)
    assert.strictEqual(end.status, "SUCCEEDED")
    assert.deepStrictEqual(end.result, { done: 5 })
    assert.strictEqual(end.continuedFrom, `${label}~2`)
    const first = (await api.describe(label)).body
    assert.deepStrictEqual([first.status, first.continuedAs], ["CONTINUED_AS_NEW", `${label}~2`])
    const middle = (await api.describe(`${label}~2`)).body
    assert.deepStrictEqual([middle.status, middle.continuedFrom, middle.continuedAs], ["CONTINUED_AS_NEW", label, `${label}~3`])
    for (const run of [label, `${label}~2`, `${label}~3`]) assert.isAtMost((await api.history(run)).body.events.length, 4)
    const listed = await api.list("function=contract-chain&status=CONTINUED_AS_NEW")
    assert.includeMembers(listed.body.executions.map((e: { executionId: string }) => e.executionId), [label, `${label}~2`])
  }
}

/** The listed row of one execution (one page of its function's newest), or undefined while the listing lags. */
const listedRow = async (api: Api, functionName: string, executionId: string) => {
  const reply = await api.list(`function=${functionName}&limit=100`)
  assert.strictEqual(reply.status, 200, JSON.stringify(reply.body))
  return reply.body.executions.find((row: { executionId: string }) => row.executionId === executionId)
}

export const listedErrors: Check = {
  name: "the listing says why an execution failed or was stopped (its error's type and message); a rewind clears it",
  run: async ({ api, tag }) => {
    const failed = `out-of-stock-${tag}`
    assert.strictEqual((await api.start("contract-out-of-stock", { sku: "kettle" }, { name: failed })).status, 201)
    assert.strictEqual((await untilEnded(api, failed)).status, "FAILED")
    const stopped = `listed-stop-${tag}`
    assert.strictEqual((await api.start("contract-approval", { label: stopped }, { name: stopped })).status, 201)
    await untilCallbackId(api, stopped)
    assert.strictEqual((await api.stop(stopped, "cancelled by ops")).status, 200)
    const stopError = (await untilEnded(api, stopped)).error
    // Some runtimes index asynchronously (Workers: sharded index objects), so the listing is polled.
    await until("the failed execution listed with its error", async () => {
      const row = await listedRow(api, "contract-out-of-stock", failed)
      return row?.status === "FAILED" ? assert.deepStrictEqual(row.error, { errorType: "OutOfStock", errorMessage: "no stock for kettle" }) ?? true : undefined
    })
    await until("the stopped execution listed with its error", async () => {
      const row = await listedRow(api, "contract-approval", stopped)
      return row?.status === "STOPPED"
        ? assert.deepStrictEqual(row.error, { errorType: stopError.errorType, errorMessage: "cancelled by ops" }) ?? true
        : undefined
    })
    const rewound = await api.request(...post(`/v1/executions/${encodeURIComponent(stopped)}/rewind`, { fromOperation: "2" }))
    assert.strictEqual(rewound.status, 200, JSON.stringify(rewound.body))
    await until("the rewound execution listed running, with no error", async () => {
      const row = await listedRow(api, "contract-approval", stopped)
      return row?.status === "RUNNING" ? assert.notProperty(row, "error") ?? true : undefined
    })
  }
}
