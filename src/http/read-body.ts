/**
 * Reading a request: the JSON body (media type, size limit, JSON syntax, then its Schema) and the query string
 * (its Schema). Each failure is an HttpProblem, raised before the engine is asked for anything.
 *
 * The size limit is the `bodyLimit` middleware (body-limit.ts), which the app puts in front of every route (see app.ts): it
 * checks Content-Length, and counts a body without one while it streams in, so a body read here is known to fit.
 * An empty body reads as `{}`, so routes whose fields are all optional may be called with no body; the media type
 * is still required (require-json.ts checks it in front of every route; it is checked here again for routes
 * mounted without it).
 */
import { Cause, Effect, Exit, Schema } from "effect"
import { bodyReadProblem } from "./body-deadline.ts"
import { hasNonFinite, hasRoundedInteger, MAY_OVERFLOW } from "./json-numbers.ts"
import { HttpProblem, problemResponse } from "./problem.ts"

const ROUNDED_DETAIL = "The body holds an integer beyond 2^53, which a JSON number here cannot hold exactly (it would be stored " +
  "rounded): send it as a string"

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/** The request body limit that follows a payload limit: 1 MiB, or twice the payload limit when that is more. */
export const bodyLimitFor = (maxPayloadBytes: number | undefined): number =>
  Math.min(Number.MAX_SAFE_INTEGER, Math.max(DEFAULT_MAX_BODY_BYTES, 2 * (maxPayloadBytes ?? 0)))

const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/

/** `application/json` or `application/…+json`, with no charset or charset=utf-8. */
export const isJsonContentType = (header: string): boolean => {
  const [mediaType = "", ...params] = header.split(";").map((part) => part.trim().toLowerCase())
  if (!JSON_MEDIA_TYPE.test(mediaType)) return false
  return params.every((param) => !param.startsWith("charset=") || /^charset="?utf-8"?$/.test(param))
}

/** The 413 answer of the body limit. */
export const tooLarge = (maxBytes: number, path: string): Response =>
  problemResponse("payload-too-large", `The body is over the ${maxBytes}-byte limit`, path)
export const unsupported = (contentType: string | null) =>
  new HttpProblem({
    kind: "unsupported-media-type",
    detail: `The body must be application/json (UTF-8), not ${contentType === null ? "untyped" : JSON.stringify(contentType)}`,
    headers: { "accept-post": "application/json" }
  })

const decodeJson = Schema.decodeUnknownExit(Schema.fromJsonString(Schema.Unknown))
const utf8 = new TextDecoder("utf-8", { fatal: true })

/** One line of Schema's issue text, e.g. `Expected string at ["executionName"]`. */
const oneLine = (message: string) => message.replace(/\s*\n\s*/g, " ")

/**
 * Decodes with a schema; a mismatch is a 400 naming the first issue and where it is. `what` names the part of
 * the request in the detail ("body", "query", "Idempotency-Key header"). Bodies refuse unknown fields, so that
 * a misspelt field is not silently ignored; query strings ignore unknown parameters.
 */
export const decodeWith = <A>(
  schema: Schema.Decoder<A>,
  what: string,
  onExcessProperty: "error" | "ignore" = "ignore",
  hint: (value: unknown) => string | undefined = () => undefined
) => {
  const decode = Schema.decodeUnknownExit(schema, { onExcessProperty })
  return (value: unknown): Effect.Effect<A, HttpProblem> => {
    const exit = decode(value)
    if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
    const error = Cause.findErrorOption(exit.cause)
    const message = error._tag === "Some" ? oneLine(error.value.message) : "it does not match the schema"
    const more = hint(value)
    return Effect.fail(new HttpProblem({ kind: "invalid-request", detail: `Invalid ${what}: ${message}${more === undefined ? "" : `. ${more}`}` }))
  }
}

/**
 * A hint for a body sent bare where it belongs under `field` (the likeliest first mistake: a system posting its own
 * JSON as an execution's input or a callback's result): given when the body has none of the fields the route takes
 * (`fields`), so that a body refused for one of them (`{"executionName": "a b"}`) is not told to wrap its input.
 */
export const wrapperHint = (field: string, holds: string, fields: ReadonlyArray<string> = [field]) => (value: unknown): string | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) && fields.some((known) => Object.hasOwn(value, known))
    ? undefined
    : `${holds} goes under "${field}": {"${field}": <your JSON>}`

/**
 * Reads and decodes a JSON body (already within the body limit): 415 for another media type, 400 for bad JSON or
 * a body that does not match the schema (unknown fields included, so that a misspelt field is not silently ignored).
 */
export const readJsonBody = <A>(request: Request, schema: Schema.Decoder<A>, hint?: (value: unknown) => string | undefined) => {
  const decodeBody = decodeWith(schema, "body", "error", hint)
  return Effect.gen(function*() {
    const contentType = request.headers.get("content-type")
    if (contentType === null || !isJsonContentType(contentType)) return yield* unsupported(contentType)
    const bytes = new Uint8Array(yield* Effect.tryPromise({
      try: () => request.arrayBuffer(),
      catch: (error) => new HttpProblem(bodyReadProblem(error))
    }))
    if (bytes.byteLength === 0) return yield* decodeBody({})
    const text = yield* Effect.try({
      try: () => utf8.decode(bytes),
      catch: () => new HttpProblem({ kind: "invalid-json", detail: "The body is not valid UTF-8" })
    })
    const json = decodeJson(text)
    if (Exit.isFailure(json)) return yield* new HttpProblem({ kind: "invalid-json", detail: "The body is not valid JSON" })
    // Valid JSON that cannot be kept as sent: the request is refused, not its syntax (the title said "not valid JSON").
    if (MAY_OVERFLOW.test(text) && hasNonFinite(json.value)) {
      return yield* new HttpProblem({ kind: "invalid-request", detail: "The body holds a number out of range (it would be stored as null)" })
    }
    if (hasRoundedInteger(text)) {
      return yield* new HttpProblem({ kind: "invalid-request", detail: ROUNDED_DETAIL })
    }
    return yield* decodeBody(json.value)
  })
}

/** Decodes the query string (the last value of a repeated parameter; unknown parameters are ignored). */
export const readQuery = <A>(url: string, schema: Schema.Decoder<A>) =>
  decodeWith(schema, "query")(Object.fromEntries(new URL(url).searchParams))
