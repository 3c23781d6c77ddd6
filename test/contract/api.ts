/** A small client for the public HTTP API, as the contract checks use it: plain fetch, JSON in and out. */
import type { ContractRuntime } from "./runtime.ts"

export interface Reply {
  readonly status: number
  readonly contentType: string
  readonly body: any
}

export interface Send {
  readonly json?: unknown
  /** Sent as is (for malformed bodies). */
  readonly raw?: string
  readonly headers?: Record<string, string>
  /** Without the API key. */
  readonly anonymous?: boolean
}

export const apiOf = (rt: ContractRuntime) => {
  const request = async (method: string, path: string, send: Send = {}): Promise<Reply> => {
    const headers: Record<string, string> = {}
    if (send.anonymous !== true) headers.authorization = `Bearer ${rt.apiKey}`
    if (send.json !== undefined || send.raw !== undefined) headers["content-type"] = "application/json"
    Object.assign(headers, send.headers)
    const body = send.json !== undefined ? JSON.stringify(send.json) : send.raw
    const response = await fetch(rt.url() + path, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    const contentType = response.headers.get("content-type") ?? ""
    return { status: response.status, contentType, body: text !== "" && contentType.includes("json") ? JSON.parse(text) : text }
  }
  const id = (executionId: string) => encodeURIComponent(executionId)
  return {
    request,
    /** With `operations: true` the answer carries the operations (`?operations=true`). */
    start: (fn: string, input: unknown, options: { readonly name?: string; readonly wait?: number; readonly operations?: boolean } = {}) =>
      request("POST", `/v1/functions/${fn}/executions?${options.wait === undefined ? "" : `wait=${options.wait}&`}operations=${options.operations === true}`, {
        json: { input, ...(options.name === undefined ? {} : { executionName: options.name }) }
      }),
    /** The execution with its operations (the default answer carries only their counts). */
    describe: (executionId: string) => request("GET", `/v1/executions/${id(executionId)}?operations=true`),
    summary: (executionId: string) => request("GET", `/v1/executions/${id(executionId)}`),
    history: (executionId: string) => request("GET", `/v1/executions/${id(executionId)}/history?limit=1000`),
    list: (query: string) => request("GET", `/v1/executions?${query}`),
    stop: (executionId: string, errorMessage: string) =>
      request("POST", `/v1/executions/${id(executionId)}/stop`, { json: { error: { errorMessage } } }),
    pause: (executionId: string) => request("POST", `/v1/executions/${id(executionId)}/pause`, { json: {} }),
    resume: (executionId: string) => request("POST", `/v1/executions/${id(executionId)}/resume`, { json: {} }),
    /** Callback routes need no key: the id is the capability. */
    succeed: (callbackId: string, result: string) =>
      request("POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { json: { result }, anonymous: true })
  }
}

export type Api = ReturnType<typeof apiOf>

/** Polls `probe` until it gives a value: at most `timeoutMs`, every 25 ms. */
export const until = async <A>(what: string, probe: () => Promise<A | undefined>, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The execution's view once it is no longer RUNNING. */
export const untilEnded = (api: Api, executionId: string, timeoutMs = 30_000) =>
  until(`${executionId} to end`, async () => {
    const reply = await api.describe(executionId)
    return reply.status === 200 && reply.body.status !== "RUNNING" && reply.body.status !== "PAUSED" ? reply.body : undefined
  }, timeoutMs)

/** The callback id of the execution's CALLBACK operation, once it is there. */
export const untilCallbackId = (api: Api, executionId: string) =>
  until(`a callback of ${executionId}`, async () => {
    const reply = await api.describe(executionId)
    const op = (reply.body?.operations ?? []).find((o: { type: string; callbackId?: string }) => o.type === "CALLBACK" && o.callbackId !== undefined)
    return op?.callbackId as string | undefined
  })
