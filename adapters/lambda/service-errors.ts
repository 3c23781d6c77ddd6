/**
 * What an error of Lambda's control plane means to a client of the HTTP API. Only a failure a retry can help with
 * (throttling, the service's own 5xx, the network) becomes a StoreFailure (503, "may be retried"); a request the
 * service refused for what it asked (an unknown or malformed id, a payload over its limit) must not be retried for
 * ever, so it gets the route's own 4xx. The SDK names its exceptions, and sets `$metadata.httpStatusCode`; an
 * error the code does not name is judged by its status.
 */
import { StoreFailure } from "reprise/store"

export type ServiceRefusal = "not-found" | "too-large" | "invalid" | "conflict"

const BY_NAME: Readonly<Record<string, ServiceRefusal>> = {
  ResourceNotFoundException: "not-found",
  RequestTooLargeException: "too-large",
  InvalidParameterValueException: "invalid",
  ValidationException: "invalid",
  InvalidRequestContentException: "invalid",
  ResourceConflictException: "conflict"
}

const BY_STATUS: Readonly<Record<number, ServiceRefusal>> = { 400: "invalid", 404: "not-found", 409: "conflict", 413: "too-large" }

/** The AWS SDK's exception name, or "" for a value that is not one. */
export const nameOf = (error: unknown): string =>
  typeof error === "object" && error !== null ? String((error as { name?: unknown }).name ?? "") : ""

const statusOf = (error: unknown): number | undefined => {
  const status = typeof error === "object" && error !== null
    ? (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode
    : undefined
  return typeof status === "number" ? status : undefined
}

/** How the service refused the request, or undefined when it failed (retry). */
export const refusalOf = (error: unknown): ServiceRefusal | undefined => {
  const named = BY_NAME[nameOf(error)]
  if (named !== undefined) return named
  const status = statusOf(error)
  return status === undefined ? undefined : BY_STATUS[status]
}

/** The service's own words, for a refusal whose detail the client should read (a parameter it did not accept). */
export const serviceMessage = (error: unknown): string => {
  const message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : undefined
  return typeof message === "string" && message !== "" ? message.slice(0, 500) : nameOf(error) || "refused"
}

/** A failure of the service underneath (or of the network): the request may be retried. */
export const serviceFailure = (operation: string, error: unknown): StoreFailure =>
  new StoreFailure({ operation, reason: (error as Error)?.message ?? String(error) })
