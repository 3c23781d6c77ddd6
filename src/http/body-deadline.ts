/**
 * A deadline for a request's body, for servers that have none of their own (Deno.serve: a client that sends fewer
 * bytes than its Content-Length held the request open for good). Node's HTTP server has its own (408 from
 * adapters/node/client-error.ts). Past the deadline the body errors with BodyTimedOut, which `readJsonBody`
 * answers with 408 `request-timeout`.
 */

export class BodyTimedOut extends Error {
  override readonly name = "BodyTimedOut"
}

/** A body the server stopped reading because it shuts down (Deno.serve drops the bodies in flight at once). */
export class BodyCutByShutdown extends Error {
  override readonly name = "BodyCutByShutdown"
}

export interface BodyReadProblem {
  readonly kind: "request-timeout" | "invalid-request" | "server-busy"
  readonly detail: string
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * What a body that failed while it was read is told as: past its deadline 408; cut by a shutdown 503 with
 * Retry-After (the request was fine: a client must not take it for a bad one and drop it); else (a client gone) 400.
 */
export const bodyReadProblem = (error: unknown): BodyReadProblem =>
  error instanceof BodyTimedOut
    ? { kind: "request-timeout", detail: error.message }
    : error instanceof BodyCutByShutdown
    ? { kind: "server-busy", detail: error.message, headers: { "retry-after": "1" } }
    : { kind: "invalid-request", detail: "The body could not be read" }

/**
 * The request with a body that must arrive in full within `ms` of now. A body that fails once `closing` is aborted
 * (the server shuts down) fails with BodyCutByShutdown. The copy (made of a request without a body too) has the
 * original's abort signal, read only when asked: see `copyOf`.
 */
export const withBodyDeadline = (request: Request, ms: number, closing?: AbortSignal): Request => {
  if (request.body === null) return copyOf(request, { method: request.method, headers: request.headers })
  const reader = request.body.getReader()
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTimedOut(`The body did not arrive within ${ms} ms`)), ms)
  })
  expired.catch(() => undefined) // raced below; unobserved when the body arrives first
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        const chunk = await Promise.race([reader.read(), expired])
        if (chunk.done) {
          clearTimeout(timer)
          controller.close()
        } else {
          controller.enqueue(chunk.value)
        }
      } catch (error) {
        clearTimeout(timer)
        reader.cancel(error).catch(() => undefined)
        const cut = closing?.aborted === true && !(error instanceof BodyTimedOut)
        controller.error(cut ? new BodyCutByShutdown("The server shut down while the body arrived; try again") : error)
      }
    },
    cancel: (reason) => {
      clearTimeout(timer)
      return reader.cancel(reason)
    }
  })
  return copyOf(request, { method: request.method, headers: request.headers, body, duplex: "half" } as RequestInit)
}

/**
 * A new request to the original's url whose `signal` is the original's, read only when asked. Not
 * `new Request(request, …)`: that reads `request.signal` at once, and Deno.serve warns on a read (its signal's legacy
 * abort on a successful answer). The app's one reader is a start's `?wait` that waits: it must see the client go
 * (the signal aborts when the connection closes), else the wait and its admission place were held its full time.
 */
const copyOf = (request: Request, init: RequestInit): Request => {
  const copy = new Request(request.url, init)
  Object.defineProperty(copy, "signal", { get: () => request.signal })
  return copy
}
