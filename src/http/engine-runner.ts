/**
 * How route handlers run engine effects: through anything with `runPromiseExit` for effects that need the
 * ExecutionClient (a `ManagedRuntime` over `Engine.layer` is one), turning a failure into a problem+json response.
 */
import { type Effect, Exit } from "effect"
import { failureSummary } from "../context/log-format.ts"
import type { ExecutionClient } from "../engine/index.ts"
import { mapCause } from "./error-mapping.ts"
import { problemResponse } from "./problem.ts"
import { redactedRequest, redactPath } from "./redact.ts"

export interface EngineRunner {
  readonly runPromiseExit: <A, E>(effect: Effect.Effect<A, E, ExecutionClient>) => Promise<Exit.Exit<A, unknown>>
}

/**
 * Called with every failure on the server's side (500s, 503s): log it; the client only sees a generic detail. The
 * request it gets is a redacted copy (redact.ts): no callback id in its path, no query, no credentials.
 */
export type ErrorReporter = (error: unknown, request: Request) => void

/**
 * The app's reporter when it is given none (a host gives its log's: src/host/host-error-log.ts): one JSON line on
 * stderr, in the host log's shape, with the error's type, message and stack as fields.
 */
export const defaultErrorReporter: ErrorReporter = (error, request) => {
  const path = redactPath(new URL(request.url).pathname)
  const summary = failureSummary(error)
  const message = `${request.method} ${path} failed: ${summary.errorMessage}`
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", method: request.method, path, message, ...summary }))
}

/** The reporter, handed a redacted copy of the request whatever reporter it is. */
export const redactingReporter = (report: ErrorReporter): ErrorReporter => (error, request) => report(error, redactedRequest(request))

export const makeResponder = (runner: EngineRunner, onError: ErrorReporter) =>
  async (request: Request, effect: Effect.Effect<Response, unknown, ExecutionClient>): Promise<Response> => {
    // No abort signal: a client that goes away must not interrupt a start or a completion half-way.
    const exit = await runner.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    const problem = mapCause(exit.cause)
    if (problem.internal) onError(problem.error, request)
    return problemResponse(problem.kind, problem.detail, new URL(request.url).pathname, problem.headers, problem.extensions)
  }
