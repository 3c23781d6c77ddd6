/**
 * Fork and rewind over HTTP, the same checks for every server that runs them (the in-memory app, the Node server):
 * fork from operation N runs N onwards again and not what came before, the source untouched; a FAILED execution
 * rewound after its code is fixed finishes; every wrong request is a problem+json 4xx that changes nothing.
 */
import { assert } from "@effect/vitest"
import { durable } from "../../src/index.ts"

/** Step "c" throws while this is set (the "bug"); the test fixes it by clearing it. */
export const bug = { on: true }
/** How many times each step body ran, by `<input n>:<step>`. */
export const runs: Record<string, number> = {}
const count = <A>(n: number, step: string, value: A): A => {
  runs[`${n}:${step}`] = (runs[`${n}:${step}`] ?? 0) + 1
  return value
}

/** Operations: "1" the child context prep (with "1-1" step a), "2" step b, "3" step c, "4" step d. */
export const opsFlow = durable("ops-flow", async (input: { n: number }, ctx) => {
  const a = await ctx.runInChildContext("prep", (child) => child.step("a", async () => count(input.n, "a", input.n + 1)))
  const b = await ctx.step("b", async () => count(input.n, "b", a * 2))
  const c = await ctx.step("c", async () => {
    count(input.n, "c", 0)
    if (bug.on) throw new Error("c is broken")
    return b + 100
  }, { retryStrategy: () => ({ shouldRetry: false }) })
  return ctx.step("d", async () => count(input.n, "d", `${input.n}:${c}`))
})
/** Waits on callback "1", which nothing completes, after step "2" (a fork from "2" would copy the wait). */
export const opsWaiting = durable("ops-waiting", async (_: unknown, ctx) => {
  const [answer] = await ctx.createCallback("never")
  await ctx.step("noted", async () => 1)
  return answer
})

export interface Answer {
  readonly status: number
  readonly type: string
  readonly location?: string | undefined
  readonly body: any
}

export interface Target {
  readonly call: (method: "GET" | "POST", path: string, body?: string) => Promise<Answer>
  /** Resolves once the execution has ended (or can go no further alone), with its JSON view. */
  readonly settled: (executionId: string) => Promise<any>
}

const problem = (answer: Answer, status: number, kind: string) => {
  assert.strictEqual(answer.status, status, JSON.stringify(answer.body))
  assert.include(answer.type, "application/problem+json")
  assert.strictEqual(answer.body.type, `https://reprise.dev/problems/${kind}`)
  assert.isString(answer.body.detail)
}

const start = async (target: Target, fn: string, name: string, input: unknown) => {
  const started = await target.call("POST", `/v1/functions/${fn}/executions`, JSON.stringify({ executionName: name, input }))
  assert.strictEqual(started.status, 201, JSON.stringify(started.body))
  return target.settled(name)
}

/** Runs every check; `prefix` keeps the execution names apart when several targets share one process. */
export const forkRewindChecks = async (target: Target, prefix: string) => {
  const n = prefix.length * 1000 + Math.floor(Math.random() * 900) // this run's key in `runs`
  bug.on = true
  const failedId = `${prefix}-failed`
  const failed = await start(target, "ops-flow", failedId, { n })
  assert.strictEqual(failed.status, "FAILED")
  assert.deepStrictEqual([runs[`${n}:a`], runs[`${n}:b`], runs[`${n}:c`], runs[`${n}:d`]], [1, 1, 1, undefined])
  const history = async (id: string) => (await target.call("GET", `/v1/executions/${id}/history?limit=1000`)).body.events
  const listed = async () => (await target.call("GET", "/v1/executions?limit=1000")).body.executions.length
  const before = await history(failedId)
  const count0 = await listed()

  // Wrong requests: problem+json, nothing written, no fork made.
  for (const action of ["fork", "rewind"]) {
    problem(await target.call("POST", `/v1/executions/${prefix}-nobody/${action}`, JSON.stringify({ fromOperation: "1" })), 404, "execution-not-found")
    problem(await target.call("POST", `/v1/executions/${failedId}/${action}`, "{}"), 400, "invalid-request")
    problem(await target.call("POST", `/v1/executions/${failedId}/${action}`, JSON.stringify({ fromOperation: "c" })), 400, "invalid-request")
    problem(await target.call("POST", `/v1/executions/${failedId}/${action}`, JSON.stringify({ fromOperation: 3 })), 400, "invalid-request")
    problem(await target.call("POST", `/v1/executions/${failedId}/${action}`, JSON.stringify({ fromOperation: "3", force: true })), 400, "invalid-request")
    problem(await target.call("POST", `/v1/executions/${failedId}/${action}`, "{not json"), 400, "invalid-json")
    const unknown = await target.call("POST", `/v1/executions/${failedId}/${action}`, JSON.stringify({ fromOperation: "9" }))
    problem(unknown, 400, "invalid-request")
    assert.include(unknown.body.detail, "records no operation \"9\"")
    const nested = await target.call("POST", `/v1/executions/${failedId}/${action}`, JSON.stringify({ fromOperation: "1-1" }))
    problem(nested, 400, "invalid-request")
    assert.include(nested.body.detail, "only a top-level operation")
  }
  problem(await target.call("POST", `/v1/executions/${failedId}/rewind`, JSON.stringify({ fromOperation: "3", input: { n: 1 } })), 400, "invalid-request")
  const waitingId = `${prefix}-waiting`
  const waiting = await start(target, "ops-waiting", waitingId, {})
  assert.strictEqual(waiting.status, "RUNNING")
  const notEnded = await target.call("POST", `/v1/executions/${waitingId}/rewind`, JSON.stringify({ fromOperation: "1" }))
  problem(notEnded, 409, "execution-not-rewindable")
  // Title and detail read as one sentence (as the CLI and the console print them), saying the rule once.
  assert.strictEqual(
    `${notEnded.body.title}: ${notEnded.body.detail}`,
    `The execution cannot be rewound: Execution "${waitingId}" is RUNNING, not FAILED, TIMED_OUT or STOPPED`
  )
  // Paused, it is said to be PAUSED, as GET shows it (not the RUNNING its fold keeps under a pause).
  assert.strictEqual((await target.call("POST", `/v1/executions/${waitingId}/pause`, "{}")).status, 200)
  const paused = await target.call("POST", `/v1/executions/${waitingId}/rewind`, JSON.stringify({ fromOperation: "1" }))
  problem(paused, 409, "execution-not-rewindable")
  assert.strictEqual(paused.body.detail, `Execution "${waitingId}" is PAUSED, not FAILED, TIMED_OUT or STOPPED`)
  assert.strictEqual((await target.call("POST", `/v1/executions/${waitingId}/resume`, "{}")).status, 200)
  // Past a callback with no outcome: its id belongs to the source, so the copy could never complete it.
  const pastWait = await target.call("POST", `/v1/executions/${waitingId}/fork`, JSON.stringify({ fromOperation: "2" }))
  problem(pastWait, 400, "invalid-request")
  assert.include(pastWait.body.detail, "has no outcome in the source (it still waits)")
  assert.strictEqual((await target.call("POST", `/v1/executions/${waitingId}/stop`, "{}")).status, 200)
  const pastStopped = await target.call("POST", `/v1/executions/${waitingId}/fork`, JSON.stringify({ fromOperation: "2" }))
  problem(pastStopped, 400, "invalid-request")
  assert.include(pastStopped.body.detail, "(it ended before one came)")
  assert.deepStrictEqual(await history(failedId), before)
  assert.strictEqual(await listed(), count0 + 1) // only the waiting execution was added

  // The fix is deployed. Fork from "2" with another input: "prep" keeps its recorded result, b, c and d run.
  bug.on = false
  const forked = await target.call("POST", `/v1/executions/${failedId}/fork`, JSON.stringify({ fromOperation: "2", input: { n: n + 1 } }))
  assert.strictEqual(forked.status, 201, JSON.stringify(forked.body))
  const forkId = forked.body.executionId as string
  assert.notStrictEqual(forkId, failedId)
  assert.strictEqual(forked.location, `/v1/executions/${encodeURIComponent(forkId)}`)
  assert.deepStrictEqual(forked.body.forkedFrom, { executionId: failedId, operationId: "2" })
  const fork = await target.settled(forkId)
  assert.strictEqual(fork.status, "SUCCEEDED")
  // a = n + 1 from the source's record; b = 2a, c = b + 100; d with the fork's input.
  assert.strictEqual(fork.result, `${n + 1}:${(n + 1) * 2 + 100}`)
  assert.deepStrictEqual([runs[`${n + 1}:a`], runs[`${n + 1}:b`], runs[`${n + 1}:c`], runs[`${n + 1}:d`]], [undefined, 1, 1, 1])
  assert.deepStrictEqual(await history(failedId), before) // the source is untouched
  assert.strictEqual((await target.call("GET", `/v1/executions/${failedId}`)).body.status, "FAILED")

  // Rewind the source from "3": c and d run, prep and b do not; the same id ends SUCCEEDED.
  const rewound = await target.call("POST", `/v1/executions/${failedId}/rewind`, JSON.stringify({ fromOperation: "3" }))
  assert.strictEqual(rewound.status, 200, JSON.stringify(rewound.body))
  assert.strictEqual(rewound.body.executionId, failedId)
  const end = await target.settled(failedId)
  assert.strictEqual(end.status, "SUCCEEDED")
  assert.strictEqual(end.result, `${n}:${(n + 1) * 2 + 100}`)
  assert.strictEqual(end.rewinds, 1)
  assert.deepStrictEqual([runs[`${n}:a`], runs[`${n}:b`], runs[`${n}:c`], runs[`${n}:d`]], [1, 1, 2, 1])
  const after = await history(failedId)
  assert.deepStrictEqual(after.slice(0, before.length), before) // appended to, never rewritten
  assert.deepStrictEqual(after.slice(before.length).map((e: { _tag: string }) => e._tag), ["ExecutionRewound", "StepSucceeded", "StepSucceeded", "ExecutionSucceeded"])
  // A succeeded execution is not rewound again.
  problem(await target.call("POST", `/v1/executions/${failedId}/rewind`, JSON.stringify({ fromOperation: "3" })), 409, "execution-not-rewindable")
  assert.deepStrictEqual(await history(failedId), after)
  return { failedId, forkId, waitingId }
}
