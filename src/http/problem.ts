/**
 * RFC 9457 problem details: every error the API answers with is `application/problem+json` with a stable `type`
 * URI per kind of error, a `title` fixed per kind, the `status`, a `detail` about this occurrence and the request
 * path as `instance`, plus extension members where a kind has more to say (a store failure names the store
 * operation). Never a stack trace.
 */
import { Data } from "effect"

export const PROBLEM_TYPE_BASE = "https://reprise.dev/problems/"

/** Every kind of problem the API answers with: its status and its (fixed) title. */
export const problemKinds = {
  "invalid-json": { status: 400, title: "The body is not valid JSON" },
  "invalid-request": { status: 400, title: "The request is invalid" },
  "unauthorized": { status: 401, title: "Authentication is required" },
  "cross-site-request": { status: 403, title: "Cross-site requests are refused" },
  "host-not-allowed": { status: 403, title: "The Host header names no address this server serves" },
  "not-found": { status: 404, title: "No such route" },
  "function-not-found": { status: 404, title: "No such durable function" },
  "execution-not-found": { status: 404, title: "No such execution" },
  "callback-not-found": { status: 404, title: "No such callback" },
  "schedule-not-found": { status: 404, title: "No such schedule" },
  "dev-only": { status: 403, title: "Only a development server allows this" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  "execution-already-exists": { status: 409, title: "The execution already exists with other parameters" },
  "execution-not-running": { status: 409, title: "The execution is not running" },
  "execution-not-paused": { status: 409, title: "The execution is not paused" },
  "execution-not-rewindable": { status: 409, title: "The execution cannot be rewound" },
  "execution-not-ended": { status: 409, title: "The execution has not ended" },
  "callback-already-completed": { status: 409, title: "The callback is already completed" },
  "timer-not-pending": { status: 409, title: "The operation is not a pending wait" },
  "payload-too-large": { status: 413, title: "The payload is too large" },
  "unsupported-media-type": { status: 415, title: "Unsupported media type" },
  "expectation-failed": { status: 417, title: "The Expect header cannot be met" },
  "request-timeout": { status: 408, title: "The request took too long to arrive" },
  "headers-too-large": { status: 431, title: "The request's headers are too large" },
  "too-many-requests": { status: 429, title: "Too many requests" },
  "log-corrupted": { status: 500, title: "The execution's history cannot be read" },
  "store-failure": { status: 503, title: "The store is unavailable" },
  "server-busy": { status: 503, title: "The server is busy" },
  "execution-busy": { status: 503, title: "The execution is busy on another host" },
  "internal-error": { status: 500, title: "Internal error" },
  "not-implemented": { status: 501, title: "This runtime cannot do this" }
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemKind = keyof typeof problemKinds

export const problemType = (kind: ProblemKind): string => `${PROBLEM_TYPE_BASE}${kind}`

export interface ProblemDetails {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly instance: string
}

/** RFC 9457 extension members: extra fields of one kind of problem, never overriding the standard ones. */
export type ProblemExtensions = Readonly<Record<string, string | number | boolean>>

/** A problem found by the HTTP layer itself (bad body, bad query, missing key …), before the engine is asked. */
export class HttpProblem extends Data.TaggedError("HttpProblem")<{
  readonly kind: ProblemKind
  readonly detail: string
  readonly headers?: Readonly<Record<string, string>>
}> {}

export const problemResponse = (
  kind: ProblemKind,
  detail: string,
  instance: string,
  headers: Readonly<Record<string, string>> = {},
  extensions: ProblemExtensions = {}
): Response => {
  const { status, title } = problemKinds[kind]
  const body: ProblemDetails = { ...extensions, type: problemType(kind), title, status, detail, instance }
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, "content-type": "application/problem+json", "cache-control": "no-store" }
  })
}
