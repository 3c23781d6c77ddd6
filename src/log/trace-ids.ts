/**
 * Trace ids for an execution, derived from what its log records, so that every run of the same execution (first run,
 * replays after eviction or crash, another process) names the same spans: the trace id is the start request's
 * `traceparent`'s (W3C Trace Context), else a hash of the execution id; a span id is a hash of the execution id,
 * the operation id and the attempt. Runtime-neutral (no crypto API): FNV-1a over 64 bits, twice for 128.
 */

const MASK = (1n << 64n) - 1n
const PRIME = 0x100000001b3n

const fnv = (text: string, offset: bigint): bigint => {
  let hash = offset
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i))
    hash = (hash * PRIME) & MASK
  }
  return hash
}

const hex64 = (value: bigint): string => (value === 0n ? 1n : value).toString(16).padStart(16, "0")

export interface TraceParent {
  readonly traceId: string
  readonly spanId: string
  readonly sampled: boolean
}

/** A W3C `traceparent` header (version 00), or undefined when it is not one (the spec says: ignore it). */
export const parseTraceparent = (header: string | undefined): TraceParent | undefined => {
  const match = header === undefined ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header.trim())
  if (match === null) return undefined
  const [, traceId, spanId, flags] = match
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return undefined
  return { traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 }
}

export const formatTraceparent = (traceId: string, spanId: string): string => `00-${traceId}-${spanId}-01`

/** The span id of an execution (no operation), one of its operations, or one attempt of a step. */
export const spanIdOf = (executionId: string, operationId?: string, attempt?: number): string =>
  hex64(fnv(`${executionId}\u0000${operationId ?? ""}\u0000${attempt ?? ""}`, 0xcbf29ce484222325n))

/** The execution's trace id: its recorded traceparent's, else one derived from the execution id. */
export const traceIdOf = (execution: { readonly executionId: string; readonly traceparent?: string | undefined }): string =>
  parseTraceparent(execution.traceparent)?.traceId ??
    hex64(fnv(execution.executionId, 0xcbf29ce484222325n)) + hex64(fnv(execution.executionId, 0x84222325cbf29ce4n))

/** The traceparent a step attempt's body runs under: the attempt's span in the execution's trace. */
export const stepTraceparent = (
  execution: { readonly executionId: string; readonly traceparent?: string | undefined },
  operationId: string,
  attempt: number
): string => formatTraceparent(traceIdOf(execution), spanIdOf(execution.executionId, operationId, attempt))
