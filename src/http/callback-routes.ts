/**
 * The callback routes: succeed, fail and heartbeat an external callback by its id.
 *
 * These routes need no API key, by design (docs/design.md §10): a callback id is a capability. It names one
 * operation of one execution, carries 128 random bits recorded in the log, and (with `signedCallbackIds`) an
 * HMAC over all of it, so it can be neither guessed nor forged, and it can only complete that one callback. The
 * function hands it to the party that is to answer (a warehouse, an approver's email link), which should not need
 * the operator's API key. An unknown, forged or altered id is 404; a completed or timed-out one is 409.
 *
 * Success: 204 No Content. Nothing is returned, so the id cannot be used to read the execution.
 */
import { Effect } from "effect"
import type { Hono } from "hono"
import { ExecutionClient } from "../engine/index.ts"
import type { RouteDeps } from "./execution-routes.ts"
import { readJsonBody, wrapperHint } from "./read-body.ts"
import { CallbackFailureBody, callbackPayload, CallbackSuccessBody, EmptyBody } from "./request-schemas.ts"

const noContent = () => new Response(null, { status: 204 })

export const registerCallbackRoutes = (app: Hono, { respond }: RouteDeps): void => {
  app.post("/v1/callbacks/:callbackId/succeed", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const body = yield* readJsonBody(c.req.raw, CallbackSuccessBody, wrapperHint("result", "The callback's result"))
        const engine = yield* ExecutionClient
        const result = yield* callbackPayload(body.result)
        yield* engine.completeCallback(c.req.param("callbackId"), { ok: true, ...(result === undefined ? {} : { result }) })
        return noContent()
      })
    ))

  app.post("/v1/callbacks/:callbackId/fail", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        const body = yield* readJsonBody(c.req.raw, CallbackFailureBody)
        const engine = yield* ExecutionClient
        yield* engine.completeCallback(c.req.param("callbackId"), {
          ok: false,
          error: {
            errorType: body.errorType ?? "Error",
            errorMessage: body.errorMessage ?? "Callback failed",
            ...(body.errorData === undefined ? {} : { errorData: body.errorData })
          }
        })
        return noContent()
      })
    ))

  app.post("/v1/callbacks/:callbackId/heartbeat", (c) =>
    respond(
      c.req.raw,
      Effect.gen(function*() {
        yield* readJsonBody(c.req.raw, EmptyBody)
        const engine = yield* ExecutionClient
        yield* engine.heartbeatCallback(c.req.param("callbackId"))
        return noContent()
      })
    ))
}
