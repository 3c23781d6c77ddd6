/** A real Engine on the in-memory store behind the Hono app, driven in-process with `app.request`. */
import { assert } from "@effect/vitest"
import { type Effect, Layer, ManagedRuntime } from "effect"
import { durable } from "../../src/index.ts"
import { Engine, type EngineShape } from "../../src/engine/index.ts"
import type { DurableFunction } from "../../src/engine/registry.ts"
import { createApp } from "../../src/http/index.ts"
import { signedCallbackIds } from "../../src/http/signed-callback-ids.ts"
import type { LogEvent } from "../../src/log/events.ts"
import { ExecutionStore } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"

export const SECRET = "test-secret-0123456789abcdef"

/** Creates a callback, hands its id to a step, and returns what the callback was completed with. */
export const approval = durable("approval", async (input: { amount: number }, ctx) => {
  const amount = await ctx.step("check", async () => input.amount)
  const [answer, callbackId] = await ctx.createCallback("manager", { heartbeatTimeout: { hours: 1 } })
  await ctx.step("notify", async () => ({ callbackId }))
  return { amount, answer: await answer }
}, { description: "Waits for a manager's approval" })

export const echo = durable("echo", async (input: unknown, ctx) => ({ echoed: await ctx.step("echo", async () => input) }))

/**
 * Polls until `probe` gives a value. `engine.settle` can report idle while the actor still awaits the signed
 * callback codec (WebCrypto resolves off the event loop), so a test waits for what it needs to see.
 */
export const until = async <A>(probe: () => Promise<A | undefined>, timeoutMs = 2000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error("timed out waiting for the execution")
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

export interface HarnessOptions {
  readonly apiKey?: string
  readonly maxBodyBytes?: number
  readonly maxPayloadBytes?: number
  /** The app's development aids (AppOptions.devTools). */
  readonly devTools?: boolean
  /** AppOptions.bufferedResponses: the console polls instead of following event streams. */
  readonly bufferedResponses?: boolean
  /** More functions beside approval and echo. */
  readonly functions?: ReadonlyArray<DurableFunction>
  /** AppOptions.closing: aborted when the server starts to shut down. */
  readonly closing?: AbortSignal
}

export interface Send {
  readonly body?: RequestInit["body"]
  readonly json?: unknown
  readonly headers?: Record<string, string>
  /** Leave out the Authorization header the harness adds when an API key is configured. */
  readonly anonymous?: boolean
}

export const makeHarness = (options: HarnessOptions = {}) => {
  const store = makeMemoryStore()
  const engineLayer = Engine.layer({
    functions: [approval, echo, ...(options.functions ?? [])],
    callbackIds: signedCallbackIds(SECRET),
    ...(options.maxPayloadBytes === undefined ? {} : { maxPayloadBytes: options.maxPayloadBytes })
  })
  const runtime = ManagedRuntime.make(engineLayer.pipe(Layer.provide(Layer.succeed(ExecutionStore, store))))
  const serverErrors: Array<unknown> = []
  const app = createApp({
    runtime,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.devTools === undefined ? {} : { devTools: options.devTools }),
    ...(options.bufferedResponses === undefined ? {} : { bufferedResponses: options.bufferedResponses }),
    ...(options.closing === undefined ? {} : { closing: options.closing }),
    onError: (error) => void serverErrors.push(error)
  })

  const request = async (method: string, path: string, send: Send = {}): Promise<Response> => {
    const headers: Record<string, string> = {}
    if (options.apiKey !== undefined && send.anonymous !== true) headers.authorization = `Bearer ${options.apiKey}`
    if (send.json !== undefined) headers["content-type"] = "application/json"
    Object.assign(headers, send.headers)
    const body = send.json !== undefined ? JSON.stringify(send.json) : send.body
    return app.request(path, { method, headers, ...(body === undefined ? {} : { body }) })
  }

  const engine = <A, E>(use: (engine: EngineShape) => Effect.Effect<A, E>): Promise<A> => runtime.runPromise(Engine.use(use))

  /** Every execution's full history, to show that a refused request wrote nothing. */
  const snapshot = async (): Promise<Record<string, ReadonlyArray<LogEvent>>> => {
    const page = await engine((e) => e.list({ limit: 1000 }))
    const all: Record<string, ReadonlyArray<LogEvent>> = {}
    for (const item of page.items) all[item.executionId] = await engine((e) => e.history(item.executionId))
    return all
  }

  /** Starts an approval over HTTP, lets it reach its callback, and returns the execution and callback ids. */
  const startApproval = async (amount = 10, executionName?: string) => {
    const res = await request("POST", "/v1/functions/approval/executions", {
      json: { input: { amount }, ...(executionName === undefined ? {} : { executionName }) }
    })
    assert.strictEqual(res.status, 201)
    const { executionId } = await res.json() as { executionId: string }
    const callbackId = await until(async () => {
      await engine((e) => e.settle(executionId))
      const view = await engine((e) => e.describe(executionId))
      return view.operations.some((op) => op.name === "notify" && op.status === "SUCCEEDED")
        ? view.operations.find((op) => op.type === "CALLBACK")?.callbackId
        : undefined
    })
    return { executionId, callbackId }
  }

  return { app, store, runtime, request, engine, snapshot, startApproval, serverErrors, dispose: () => runtime.dispose() }
}

export type Harness = ReturnType<typeof makeHarness>

/** Asserts a problem+json answer with the given status and stable type, and returns its body. */
export const assertProblem = async (res: Response, status: number, kind: string) => {
  assert.strictEqual(res.status, status)
  assert.strictEqual(res.headers.get("content-type"), "application/problem+json")
  const body = await res.json() as Record<string, unknown>
  assert.strictEqual(body.type, `https://reprise.dev/problems/${kind}`)
  assert.strictEqual(body.status, status)
  assert.isString(body.title)
  assert.isString(body.detail)
  assert.isString(body.instance)
  assert.notInclude(JSON.stringify(body), "    at ", "no stack trace")
  return body
}
