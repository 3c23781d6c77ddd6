import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, ManagedRuntime } from "effect"
import {
  CallbackAlreadyCompleted,
  CallbackNotFound,
  Engine,
  ExecutionAlreadyExists,
  ExecutionNotFound,
  ExecutionNotRunning,
  FunctionNotFound,
  InvalidRequest
} from "../../src/engine/index.ts"
import { mapError } from "../../src/http/error-mapping.ts"
import { createApp, problemKinds } from "../../src/http/index.ts"
import { LogCorrupted } from "../../src/log/log-corrupted.ts"
import { ScheduleContended } from "../../src/schedule/index.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { eventKey } from "../../src/store/kv-execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { StoreFailure, WRITES_FAILING } from "../../src/store/store-errors.ts"
import { assertProblem, echo, type Harness, makeHarness } from "./http-fixture.ts"

let h: Harness
beforeEach(() => {
  h = makeHarness()
})
afterEach(() => h.dispose())

describe("the HTTP API: error mapping", () => {
  it("maps every engine error to its problem kind and status", () => {
    const cases: Array<[unknown, string, number]> = [
      [new FunctionNotFound({ functionName: "f" }), "function-not-found", 404],
      [new ExecutionNotFound({ executionId: "e" }), "execution-not-found", 404],
      [new CallbackNotFound({ callbackId: "c" }), "callback-not-found", 404],
      [new CallbackAlreadyCompleted({ callbackId: "c", status: "SUCCEEDED" }), "callback-already-completed", 409],
      [new ExecutionNotRunning({ executionId: "e", status: "FAILED" }), "execution-not-running", 409],
      [new ExecutionAlreadyExists({ executionId: "e", reason: "with a different input" }), "execution-already-exists", 409],
      [new InvalidRequest({ reason: "The input is not serialisable as JSON" }), "invalid-request", 400],
      [new InvalidRequest({ reason: "The input is over the 262144-byte payload limit", payloadTooLarge: true }), "payload-too-large", 413],
      [new LogCorrupted({ executionId: "e", seq: 3, reason: "bad" }), "log-corrupted", 500],
      [new StoreFailure({ operation: "load", reason: "disk on fire" }), "store-failure", 503],
      // Several hosts: the holder kept the execution (it runs user code); the store is fine.
      [new StoreFailure({ operation: "handOver", reason: "execution x is running on another host" }), "execution-busy", 503],
      // Several hosts kept saving a schedule's record first: nothing was done, try again.
      [new ScheduleContended({ name: "nightly", attempts: 10 }), "server-busy", 503],
      [new Error("boom"), "internal-error", 500],
      ["a string", "internal-error", 500]
    ]
    for (const [error, kind, status] of cases) {
      const mapped = mapError(error)
      assert.strictEqual(mapped.kind, kind)
      assert.strictEqual(problemKinds[mapped.kind].status, status)
      assert.strictEqual(mapped.internal, status >= 500 && kind !== "execution-busy" && kind !== "server-busy", `${kind}: logged as a server fault`)
    }
    assert.notInclude(mapError(new StoreFailure({ operation: "load", reason: "disk on fire" })).detail, "disk")
    // The host's backoff after failed writes: not a new fault (that was logged), and its wait as Retry-After.
    const backingOff = mapError(new StoreFailure({ operation: WRITES_FAILING, reason: "The writes of execution x are failing; it is retried in 8 s", retryAfterMs: 7_200 }))
    assert.deepInclude(backingOff, { kind: "store-failure", detail: "The writes of execution x are failing; it is retried in 8 s", internal: false })
    assert.strictEqual(backingOff.headers?.["retry-after"], "8")
  })

  it("answers a corrupt log with 500 log-corrupted, no internals, and reports it to onError", async () => {
    const res = await h.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: 1, executionName: "broken" } })
    assert.strictEqual(res.status, 201)
    await Effect.runPromise(h.store.kvs.get("broken")!.put(eventKey(2), { _tag: "Nonsense" }))
    const read = await h.request("GET", "/v1/executions/broken/history")
    assert.isNull(read.headers.get("retry-after"), "a corrupt log does not heal by retrying")
    const problem = await assertProblem(read, 500, "log-corrupted")
    assert.include(String(problem.detail), "broken")
    assert.notInclude(String(problem.detail), "Nonsense")
    assert.instanceOf(h.serverErrors[0], LogCorrupted)
  })

  it("answers a store failure with 503 store-failure, Retry-After, the operation and a generic detail", async () => {
    const store = makeMemoryStore()
    const failing = { ...store, list: () => Effect.fail(new StoreFailure({ operation: "list", reason: "connection refused at 10.0.0.7" })) }
    const runtime = ManagedRuntime.make(Engine.layer({ functions: [echo] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, failing))))
    const reported: Array<unknown> = []
    const app = createApp({ runtime, onError: (error) => void reported.push(error) })
    const res = await app.request("/v1/executions")
    assert.strictEqual(res.headers.get("retry-after"), "1")
    const problem = await assertProblem(res, 503, "store-failure")
    assert.strictEqual(problem.operation, "list")
    assert.include(String(problem.detail), "list")
    assert.notInclude(String(problem.detail), "10.0.0.7")
    assert.instanceOf(reported[0], StoreFailure)
    await runtime.dispose()
  })

  it("answers a defect or a throwing runtime with 500 internal-error and no stack trace", async () => {
    const reported: Array<unknown> = []
    const dying = createApp({
      runtime: { runPromiseExit: async () => Exit.die(new Error("secret internals")) },
      onError: (error) => void reported.push(error)
    })
    const problem = await assertProblem(await dying.request("/v1/functions"), 500, "internal-error")
    assert.notInclude(JSON.stringify(problem), "secret internals")
    const throwing = createApp({
      runtime: { runPromiseExit: () => Promise.reject(new Error("runtime disposed")) },
      onError: (error) => void reported.push(error)
    })
    const thrown = await assertProblem(await throwing.request("/v1/executions/x"), 500, "internal-error")
    assert.notInclude(JSON.stringify(thrown), "disposed")
    assert.strictEqual(reported.length, 2)
  })
})
