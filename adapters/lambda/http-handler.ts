/**
 * The HTTP API on Lambda: Reprise's Hono app (docs/design.md §10) behind Hono's aws-lambda adapter (API Gateway
 * REST or HTTP APIs, function URLs, ALB), answered by Lambda's control plane (control-plane-client.ts).
 * Deploy it as an ordinary (not durable) function whose role may call the durable-execution APIs.
 */
import { Layer, ManagedRuntime } from "effect"
import type { Hono } from "hono"
import { handle } from "hono/aws-lambda"
import { ExecutionClient } from "reprise/engine"
import { createApp, type ErrorReporter } from "reprise/http"
import { type ControlPlaneOptions, makeControlPlaneClient } from "./control-plane-client.ts"

export interface LambdaHttpOptions extends ControlPlaneOptions {
  /** Bearer key of the management routes (default: $REPRISE_API_KEY; none: no auth). */
  readonly apiKey?: string
  readonly maxBodyBytes?: number
  readonly onError?: ErrorReporter
}

export const createLambdaHttpApp = (options: LambdaHttpOptions): Hono => {
  const runtime = ManagedRuntime.make(Layer.succeed(ExecutionClient, makeControlPlaneClient(options)))
  const envKey = process.env.REPRISE_API_KEY
  const apiKey = options.apiKey ?? (envKey === undefined || envKey === "" ? undefined : envKey)
  return createApp({
    runtime,
    // API Gateway, function URLs and ALB route by host, so only the names configured there reach this function:
    // DNS rebinding cannot point a browser at it. No Host check here.
    allowedHosts: "any",
    // `handle` sends each response when it is complete: the console polls rather than follow an event stream.
    bufferedResponses: true,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.onError === undefined ? {} : { onError: options.onError })
  })
}

/** `export const handler = createLambdaHttpHandler({ functions: { order: "arn:…:function:order:live" } })` */
export const createLambdaHttpHandler = (options: LambdaHttpOptions) => handle(createLambdaHttpApp(options))
