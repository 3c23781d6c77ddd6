/**
 * The contract checks, written once against the public HTTP API and a ContractRuntime. Every runtime's file
 * registers them through suite.ts; a runtime that cannot serve a check leaves it out of its list and says why.
 */
import { problemType, type ProblemKind } from "reprise/http"
import { assert } from "vitest"
import { type Api, apiOf, type Reply, until, untilCallbackId, untilEnded } from "./api.ts"
import type { ContractRuntime, ExternalExecution } from "./runtime.ts"
import { continueAsNew, fork, listedErrors, rewind } from "./checks-operate.ts"

export interface CheckContext {
  readonly rt: ContractRuntime
  readonly api: Api
  /** Unique to this run of the suite: keeps execution names apart. */
  readonly tag: string
}

export interface Check {
  readonly name: string
  readonly run: (ctx: CheckContext) => Promise<void>
}

export const contextOf = (rt: ContractRuntime): CheckContext => ({ rt, api: apiOf(rt), tag: crypto.randomUUID().slice(0, 8) })

const assertProblem = (reply: Reply, status: number, kind: ProblemKind) => {
  assert.strictEqual(reply.status, status, JSON.stringify(reply.body))
  assert.include(reply.contentType, "application/problem+json")
  assert.strictEqual(reply.body.type, problemType(kind))
  assert.strictEqual(reply.body.status, status)
}

const tags = (reply: Reply): Array<string> => reply.body.events.map((e: { _tag: string }) => e._tag)

/** contract-approval started over the API (or by the runtime, see ContractRuntime.startAwaitingCallback). */
const awaitingCallback = async ({ rt, api }: CheckContext, label: string): Promise<ExternalExecution> => {
  if (rt.startAwaitingCallback !== undefined) return rt.startAwaitingCallback(label)
  const started = await api.start("contract-approval", { label }, { name: label })
  assert.strictEqual(started.status, 201, JSON.stringify(started.body))
  const callbackId = await untilCallbackId(api, label)
  return { callbackId, ended: () => untilEnded(api, label) }
}

const startDescribeWait: Check = {
  name: "start, describe and wait (?wait=)",
  run: async ({ api, tag }) => {
    const name = `steps-${tag}`
    const done = await api.start("contract-steps", { n: 3 }, { name, wait: 10 })
    assert.strictEqual(done.status, 201, JSON.stringify(done.body))
    assert.strictEqual(done.body.executionId, name)
    assert.strictEqual(done.body.status, "SUCCEEDED")
    assert.deepStrictEqual(done.body.result, { value: 49 })
    // The ?wait answer and the plain describe carry counts, not the operations (those come on request).
    const counts = { total: 3, byStatus: { SUCCEEDED: 3 }, byType: { STEP: 3 } }
    assert.deepStrictEqual([done.body.operations, done.body.operationCounts], [undefined, counts])
    const lean = await api.summary(name)
    assert.deepStrictEqual([lean.body.status, lean.body.operations, lean.body.operationCounts], ["SUCCEEDED", undefined, counts])
    const view = await api.describe(name)
    assert.deepStrictEqual(view.body.operationCounts, counts)
    assert.strictEqual(view.status, 200)
    assert.strictEqual(view.body.functionName, "contract-steps")
    assert.deepStrictEqual(view.body.input, { n: 3 })
    assert.deepStrictEqual(view.body.operations.map((op: { name: string; status: string }) => `${op.name} ${op.status}`), [
      "double SUCCEEDED",
      "add-one SUCCEEDED",
      "square SUCCEEDED"
    ])
    const again = await api.start("contract-steps", { n: 3 }, { name })
    assert.strictEqual(again.status, 200, "a second start with the same name returns the first execution")
    assert.deepStrictEqual(again.body.result, { value: 49 })
    const waiting = await api.start("contract-approval", { label: `short-${tag}` }, { name: `short-${tag}`, wait: 1 })
    assert.strictEqual(waiting.status, 202, "still running when ?wait= runs out")
    assert.strictEqual(waiting.body.status, "RUNNING")
  }
}

const namesPerFunction: Check = {
  name: "an execution name is scoped to its function: another function may use it; repeats find each",
  run: async ({ api, tag }) => {
    const name = `shared-${tag}`
    const first = await api.start("contract-steps", { n: 2 }, { name, wait: 10 })
    assert.strictEqual(first.status, 201, JSON.stringify(first.body))
    assert.strictEqual(first.body.executionId, name, "a free name is the execution id, as before names were scoped")
    const other = await api.start("contract-child", { n: 2 }, { name, wait: 10 })
    assert.strictEqual(other.status, 201, JSON.stringify(other.body))
    assert.strictEqual(other.body.executionId, `${name}~contract-child`)
    assert.strictEqual(other.body.functionName, "contract-child")
    assert.strictEqual(other.body.status, "SUCCEEDED")
    const otherAgain = await api.start("contract-child", { n: 2 }, { name })
    assert.strictEqual(otherAgain.status, 200, JSON.stringify(otherAgain.body))
    assert.strictEqual(otherAgain.body.executionId, `${name}~contract-child`)
    const firstAgain = await api.start("contract-steps", { n: 2 }, { name })
    assert.strictEqual(firstAgain.status, 200, JSON.stringify(firstAgain.body))
    assert.strictEqual(firstAgain.body.executionId, name)
    assertProblem(await api.start("contract-child", { n: 3 }, { name }), 409, "execution-already-exists")
    assertProblem(await api.start("contract-steps", { n: 3 }, { name }), 409, "execution-already-exists")
    const viaHeader = await api.request("POST", "/v1/functions/contract-child/executions", {
      json: { input: { n: 2 } },
      headers: { "idempotency-key": name }
    })
    assert.strictEqual(viaHeader.status, 200, JSON.stringify(viaHeader.body))
    assert.strictEqual(viaHeader.body.executionId, `${name}~contract-child`)
    assert.strictEqual((await api.describe(`${name}~contract-child`)).body.functionName, "contract-child")
  }
}

const history: Check = {
  name: "history",
  run: async ({ api, tag }) => {
    const name = `history-${tag}`
    assert.strictEqual((await api.start("contract-steps", { n: 1 }, { name, wait: 10 })).body.status, "SUCCEEDED")
    const all = await api.history(name)
    assert.strictEqual(all.status, 200)
    assert.deepStrictEqual(tags(all), ["ExecutionStarted", "StepSucceeded", "StepSucceeded", "StepSucceeded", "ExecutionSucceeded"])
    assert.deepStrictEqual(all.body.events.map((e: { seq: number }) => e.seq), [1, 2, 3, 4, 5])
    const first = await api.request("GET", `/v1/executions/${name}/history?limit=2`)
    assert.deepStrictEqual(first.body.events.map((e: { seq: number }) => e.seq), [1, 2])
    const rest = await api.request("GET", `/v1/executions/${name}/history?limit=10&cursor=${first.body.nextCursor}`)
    assert.deepStrictEqual(rest.body.events.map((e: { seq: number }) => e.seq), [3, 4, 5])
    assert.isUndefined(rest.body.nextCursor)
  }
}

/** Every page of a listing (bounded), following nextCursor. */
type Listed = { executionId: string; functionName: string; status: string; startedAt: string }
const listAll = async (api: Api, query: string): Promise<Array<Listed>> => {
  const items: Array<Listed> = []
  let cursor: string | undefined
  for (let page = 0; page < 50; page++) {
    const reply = await api.list(`${query}&limit=2${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`)
    assert.strictEqual(reply.status, 200, JSON.stringify(reply.body))
    assert.isAtMost(reply.body.executions.length, 2)
    items.push(...reply.body.executions)
    cursor = reply.body.nextCursor
    if (cursor === undefined) return items
  }
  throw new Error(`more than 50 pages for ${query}`)
}

const list: Check = {
  name: "list with filters",
  run: async ({ api, tag }) => {
    const done = [`list-a-${tag}`, `list-b-${tag}`, `list-c-${tag}`]
    for (const name of done) assert.strictEqual((await api.start("contract-steps", { n: 2 }, { name, wait: 10 })).body.status, "SUCCEEDED")
    const running = `list-r-${tag}`
    const startedRunning = await api.start("contract-approval", { label: running }, { name: running })
    assert.strictEqual(startedRunning.status, 201)
    const at = encodeURIComponent(startedRunning.body.startedAt)
    const ids = (rows: ReadonlyArray<{ executionId: string }>) => rows.map((r) => r.executionId)
    // Some runtimes index asynchronously (Workers: sharded index objects), so the listing is polled.
    await until("the listing to show the executions", async () => {
      const steps = await listAll(api, "function=contract-steps")
      const succeeded = await listAll(api, "function=contract-steps&status=SUCCEEDED")
      const approvals = await listAll(api, "function=contract-approval&status=RUNNING")
      const ok = done.every((id) => ids(steps).includes(id) && ids(succeeded).includes(id)) && ids(approvals).includes(running)
      if (!ok) return undefined
      assert.isTrue(steps.every((row) => row.functionName === "contract-steps"))
      assert.isTrue(succeeded.every((row) => row.status === "SUCCEEDED" && row.functionName === "contract-steps"))
      assert.isTrue(approvals.every((row) => row.status === "RUNNING" && row.functionName === "contract-approval"))
      assert.notInclude(ids(await listAll(api, "function=contract-approval&status=SUCCEEDED")), running)
      assert.strictEqual(new Set(ids(steps)).size, steps.length, "no execution on two pages")
      // Searched by input text and by start time (store/list-search.ts).
      assert.deepStrictEqual(ids(await listAll(api, `input=${encodeURIComponent(running.toUpperCase())}`)), [running])
      assert.include(ids(await listAll(api, `function=contract-approval&startedAfter=${at}`)), running)
      assert.notInclude(ids(await listAll(api, `function=contract-approval&startedBefore=${at}`)), running)
      assert.include(ids(await listAll(api, `function=contract-steps&startedBefore=${at}`)), done[0]) // the first: a later one may share its millisecond
      // Several statuses: pages of two over the merged listings, newest first, each execution once.
      const either = await listAll(api, "status=SUCCEEDED,RUNNING")
      assert.includeMembers(ids(either), [...done, running])
      assert.isTrue(either.every((row) => row.status === "SUCCEEDED" || row.status === "RUNNING"))
      assert.strictEqual(new Set(ids(either)).size, either.length, "no execution on two pages")
      const starts = either.map((row) => Date.parse(row.startedAt))
      assert.deepStrictEqual(starts, [...starts].sort((a, b) => b - a), "newest first")
      assert.notInclude(ids(await listAll(api, "function=contract-approval&status=FAILED,SUCCEEDED")), running)
      return true
    })
  }
}

const stop: Check = {
  name: "stop",
  run: async ({ api, tag }) => {
    const name = `stop-${tag}`
    assert.strictEqual((await api.start("contract-approval", { label: name }, { name })).status, 201)
    await untilCallbackId(api, name)
    const stopped = await api.stop(name, "stopped by the contract suite")
    assert.strictEqual(stopped.status, 200, JSON.stringify(stopped.body))
    assert.strictEqual(stopped.body.status, "STOPPED")
    const view = await untilEnded(api, name)
    assert.strictEqual(view.status, "STOPPED")
    assert.strictEqual(view.error?.errorMessage, "stopped by the contract suite")
    assertProblem(await api.stop(name, "again"), 409, "execution-not-running")
  }
}

const pauseResume: Check = {
  name: "pause and resume: a wait due while paused fires on resume, a callback completed while paused is kept",
  run: async ({ api, tag }) => {
    // A one-second wait, paused as soon as it is recorded.
    const nap = `pause-nap-${tag}`
    assert.strictEqual((await api.start("contract-nap", { label: nap }, { name: nap })).status, 201)
    await until("the wait to start", async () => tags(await api.history(nap)).includes("WaitStarted") || undefined)
    const paused = await api.pause(nap)
    assert.strictEqual(paused.status, 200, JSON.stringify(paused.body))
    assert.strictEqual(paused.body.status, "PAUSED")
    assertProblem(await api.pause(nap), 409, "execution-not-running")
    const waitStarted = (await api.history(nap)).body.events.find((e: { _tag: string }) => e._tag === "WaitStarted")
    await until("the wait's due time to pass", async () => Date.now() > waitStarted.until + 500 || undefined)
    assert.notInclude(tags(await api.history(nap)), "WaitSucceeded")
    assert.strictEqual((await api.describe(nap)).body.status, "PAUSED")
    const listed = await api.list("function=contract-nap&status=PAUSED")
    assert.include(listed.body.executions.map((e: { executionId: string }) => e.executionId), nap)
    const resumed = await api.resume(nap)
    assert.strictEqual(resumed.status, 200, JSON.stringify(resumed.body))
    const end = await untilEnded(api, nap)
    assert.strictEqual(end.status, "SUCCEEDED")
    const order = tags(await api.history(nap))
    assert.isAbove(order.indexOf("WaitSucceeded"), order.indexOf("ExecutionResumed"))
    assertProblem(await api.resume(nap), 409, "execution-not-paused")

    // A callback completed while paused.
    const label = `pause-approval-${tag}`
    assert.strictEqual((await api.start("contract-approval", { label }, { name: label })).status, 201)
    const callbackId = await untilCallbackId(api, label)
    assertProblem(await api.resume(label), 409, "execution-not-paused")
    assert.strictEqual((await api.pause(label)).status, 200)
    // Paused is not ended: a repeated start with ?wait= waits, then answers 202 with the paused view.
    const askedAt = Date.now()
    const repeat = await api.start("contract-approval", { label }, { name: label, wait: 1 })
    assert.strictEqual(repeat.status, 202, JSON.stringify(repeat.body))
    assert.strictEqual(repeat.body.status, "PAUSED")
    assert.isAtLeast(Date.now() - askedAt, 900, "it waited for the end")
    assert.strictEqual((await api.succeed(callbackId, "\"yes\"")).status, 204)
    assert.include(tags(await api.history(label)), "CallbackSucceeded")
    assert.strictEqual((await api.describe(label)).body.status, "PAUSED")
    assert.strictEqual((await api.resume(label)).status, 200)
    const approved = await untilEnded(api, label)
    assert.strictEqual(approved.status, "SUCCEEDED")
    assert.deepStrictEqual(approved.result, { label, answer: "\"yes\"" })
    assertProblem(await api.pause(`nobody-${tag}`), 404, "execution-not-found")
  }
}

const waitFires: Check = {
  name: "a 1 s wait fires and the execution finishes",
  run: async ({ api, tag }) => {
    const name = `nap-${tag}`
    const started = await api.start("contract-nap", { label: name }, { name })
    assert.strictEqual(started.status, 201)
    const view = await untilEnded(api, name)
    assert.strictEqual(view.status, "SUCCEEDED", JSON.stringify(view))
    assert.deepStrictEqual(view.result, { woke: `${name} slept` })
    const events = (await api.history(name)).body.events as Array<{ _tag: string; until?: number; at?: number }>
    assert.deepStrictEqual(events.map((e) => e._tag), [
      "ExecutionStarted",
      "StepSucceeded",
      "WaitStarted",
      "WaitSucceeded",
      "StepSucceeded",
      "ExecutionSucceeded"
    ])
    const wait = events.find((e) => e._tag === "WaitStarted")!
    const woke = events.find((e) => e._tag === "WaitSucceeded")!
    assert.isAtLeast(woke.at!, wait.until!, "the wait ended no earlier than it was due")
  }
}

const retry: Check = {
  name: "a failing step is retried on a durable timer",
  run: async ({ api, tag }) => {
    const name = `flaky-${tag}`
    assert.strictEqual((await api.start("contract-flaky", {}, { name })).status, 201)
    const view = await untilEnded(api, name)
    assert.strictEqual(view.status, "SUCCEEDED", JSON.stringify(view))
    assert.deepStrictEqual(view.result, { attempts: 2 })
    assert.strictEqual(view.operations.find((op: { name: string }) => op.name === "flaky")?.attempt, 2)
    assert.deepStrictEqual(tags(await api.history(name)), ["ExecutionStarted", "StepFailed", "StepSucceeded", "ExecutionSucceeded"])
  }
}

const callback: Check = {
  name: "a callback completed over HTTP resumes the execution",
  run: async (ctx) => {
    const execution = await awaitingCallback(ctx, `approval-${ctx.tag}`)
    const done = await ctx.api.succeed(execution.callbackId, "approved")
    assert.strictEqual(done.status, 204, JSON.stringify(done.body))
    const ended = await execution.ended()
    assert.strictEqual(ended.status, "SUCCEEDED", JSON.stringify(ended))
    assert.deepStrictEqual(ended.result, { label: `approval-${ctx.tag}`, answer: "approved" })
  }
}

const wrongCallback: Check = {
  name: "a wrong callback id is 404 problem+json",
  run: async ({ api }) => {
    assertProblem(await api.succeed("not-a-callback-id", "x"), 404, "callback-not-found")
    const forged = Buffer.from(JSON.stringify(["some-execution", "1", "AAAAAAAAAAAAAAAAAAAAAA"])).toString("base64url")
    assertProblem(await api.succeed(forged, "x"), 404, "callback-not-found")
  }
}

const secondCompletion: Check = {
  name: "a callback completed twice is 409, the first result kept",
  run: async (ctx) => {
    const label = `twice-${ctx.tag}`
    const execution = await awaitingCallback(ctx, label)
    assert.strictEqual((await ctx.api.succeed(execution.callbackId, "first")).status, 204)
    assert.deepStrictEqual((await execution.ended()).result, { label, answer: "first" })
    assertProblem(await ctx.api.succeed(execution.callbackId, "second"), 409, "callback-already-completed")
    assert.deepStrictEqual((await execution.ended()).result, { label, answer: "first" })
  }
}

const invoke: Check = {
  name: "invoke: the parent ends with the child's result",
  run: async ({ api, tag }) => {
    const name = `parent-${tag}`
    const started = await api.start("contract-parent", { n: 7 }, { name, wait: 10, operations: true })
    assert.include([201, 202], started.status)
    const view = started.body.status === "RUNNING" ? await untilEnded(api, name) : started.body
    assert.strictEqual(view.status, "SUCCEEDED", JSON.stringify(view))
    assert.deepStrictEqual(view.result, { fromChild: { squared: 49 } })
    const op = view.operations.find((o: { name: string }) => o.name === "call-child")
    assert.strictEqual(op?.type, "CHAINED_INVOKE")
    assert.strictEqual(op?.status, "SUCCEEDED")
  }
}

const crashResume: Check = {
  name: "crash-resume: an execution suspended on a callback survives a restart",
  run: async ({ rt, api, tag }) => {
    assert.isDefined(rt.restart, "this runtime registers crash-resume, so it must restart")
    const name = `crash-${tag}`
    assert.strictEqual((await api.start("contract-approval", { label: name }, { name })).status, 201)
    const callbackId = await untilCallbackId(api, name)
    await rt.restart!()
    assert.strictEqual((await api.describe(name)).body.status, "RUNNING")
    const done = await api.succeed(callbackId, "after the restart")
    assert.strictEqual(done.status, 204, JSON.stringify(done.body))
    const view = await untilEnded(api, name)
    assert.strictEqual(view.status, "SUCCEEDED", JSON.stringify(view))
    assert.deepStrictEqual(view.result, { label: name, answer: "after the restart" })
    const prepared = (await api.history(name)).body.events.filter((e: { _tag: string; name?: string }) => e._tag === "StepSucceeded" && e.name === "prepare")
    assert.strictEqual(prepared.length, 1, "the step before the callback is not run again")
  }
}

const badInput: Check = {
  name: "bad input: unknown function 404, malformed JSON 400, problem+json",
  run: async ({ api }) => {
    assertProblem(await api.start("no-such-function", {}), 404, "function-not-found")
    assertProblem(await api.request("POST", "/v1/functions/contract-steps/executions", { raw: "{\"input\": " }), 400, "invalid-json")
    assertProblem(await api.request("POST", "/v1/functions/contract-steps/executions?wait=abc", { json: { input: { n: 1 } } }), 400, "invalid-request")
    // An id no execution can have is not found, whatever the store thinks of such a key (Deno KV refused it: 503).
    for (const id of ["a".repeat(2100), "é".repeat(1030), "has space"]) {
      assertProblem(await api.describe(id), 404, "execution-not-found")
      assertProblem(await api.request("GET", `/v1/executions/${encodeURIComponent(id)}/history`), 404, "execution-not-found")
      assertProblem(await api.request("POST", `/v1/executions/${encodeURIComponent(id)}/stop`, { json: {} }), 404, "execution-not-found")
    }
  }
}

const auth: Check = {
  name: "auth: 401 without the key",
  run: async ({ api }) => {
    assertProblem(await api.request("GET", "/v1/functions", { anonymous: true }), 401, "unauthorized")
    assertProblem(await api.request("GET", "/v1/functions", { anonymous: true, headers: { authorization: "Bearer wrong-key" } }), 401, "unauthorized")
    assertProblem(await api.request("POST", "/v1/functions/contract-steps/executions", { anonymous: true, json: { input: { n: 1 } } }), 401, "unauthorized")
    const listed = await api.request("GET", "/v1/functions")
    assert.strictEqual(listed.status, 200)
    assert.includeMembers(listed.body.functions.map((f: { name: string }) => f.name), ["contract-steps", "contract-approval"])
  }
}

/** Every check, in the order they run; crash-resume last (it restarts the runtime under the others' feet). */
export const checks = {
  startDescribeWait,
  namesPerFunction,
  history,
  list,
  stop,
  pauseResume,
  waitFires,
  retry,
  callback,
  wrongCallback,
  secondCompletion,
  invoke,
  badInput,
  auth,
  crashResume,
  rewind,
  fork,
  continueAsNew,
  listedErrors
} as const satisfies Record<string, Check>

export type CheckName = keyof typeof checks
