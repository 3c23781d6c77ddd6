/**
 * Trace ids for an execution, derived from what its log records, so that every run of the same execution (first run,
 * replays after eviction or crash, another process) names the same spans: the trace id is the start request's
 * `traceparent`'s (W3C Trace Context), else a hash of the execution id; a span id is a hash of the execution id,
 * the operation id and the attempt. Runtime-neutral and synchronous (no crypto API): FNV-1a, 32 bits per seed.
 */

/** FNV-1a over 32 bits from `seed`, with Math.imul: BigInt arithmetic doubled the cost of a traced step (bench/observe.ts). */
const fnv32 = (text: string, seed: number): number => {
  let hash = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

const hex32 = (value: number): string => value.toString(16).padStart(8, "0")

/** 64 bits as 16 hex digits from two seeds; never all zeros (an invalid id in W3C Trace Context). */
const hex64 = (text: string, seeds: readonly [number, number]): string => {
  const id = hex32(fnv32(text, seeds[0])) + hex32(fnv32(text, seeds[1]))
  return id === "0000000000000000" ? "0000000000000001" : id
}

const SPAN_SEEDS = [0x811c9dc5, 0x050c5d1f] as const
const TRACE_SEEDS = [0x2f8e7c31, 0x5bd1e995, 0x1b873593, 0x6a09e667] as const

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

/** A `traceparent` header; `sampled` false writes the flags 00 (the caller's decision, passed on). */
export const formatTraceparent = (traceId: string, spanId: string, sampled = true): string =>
  `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`

/**
 * The span id of an execution (no operation), one of its operations, or one attempt of a step. `generation` is how
 * many times the execution was rewound: a rewound execution runs its operations again under new spans (the first
 * run's ids are unchanged, generation 0).
 */
export const spanIdOf = (executionId: string, operationId?: string, attempt?: number, generation = 0): string =>
  hex64(`${executionId}\u0000${operationId ?? ""}\u0000${attempt ?? ""}${generation > 0 ? `\u0000${generation}` : ""}`, SPAN_SEEDS)

/**
 * The execution's trace id: its recorded traceparent's, else one derived from the execution id, each 32 bits mixed
 * (murmur3's finaliser): samplers that decide by trace id (the SDK's ratio sampler XORs its four 32-bit parts) kept
 * or dropped runs of similar ids together on plain FNV (`p-0` … `p-15` all dropped at 0.5; the diff review).
 */
export const traceIdOf = (execution: { readonly executionId: string; readonly traceparent?: string | undefined }): string =>
  parseTraceparent(execution.traceparent)?.traceId ?? mixedHex128(execution.executionId)

const fmix32 = (value: number): number => {
  let h = value >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const mixedHex128 = (text: string): string => {
  const id = TRACE_SEEDS.map((seed) => hex32(fmix32(fnv32(text, seed)))).join("")
  return /^0+$/.test(id) ? "00000000000000000000000000000001" : id
}

/** The traceparent a step attempt's body runs under: the attempt's span in the execution's trace. */
export const stepTraceparent = (
  execution: { readonly executionId: string; readonly traceparent?: string | undefined; readonly rewinds?: number },
  operationId: string,
  attempt: number,
  /** The sampler's decision, where an observer made one (absent: the execution's traceparent's flags). */
  sampled: boolean = sampledOf(execution)
): string =>
  formatTraceparent(traceIdOf(execution), spanIdOf(execution.executionId, operationId, attempt, execution.rewinds), sampled)

/** False when the execution's caller said its trace is not sampled (flags 00): the spans under it are not either. */
export const sampledOf = (execution: { readonly traceparent?: string | undefined }): boolean =>
  parseTraceparent(execution.traceparent)?.sampled ?? true
