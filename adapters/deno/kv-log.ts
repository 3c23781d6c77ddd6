/**
 * How a log's events sit in Deno KV, one key per event (kv-keys.ts), and how a batch that does not fit in one atomic
 * operation is still written atomically.
 *
 * - Direct (the common case): each event's JSON text is the value of its own key, all in the atomic operation that
 *   checks and moves the log's head. Only when the batch has at most DIRECT_MAX_EVENTS events, none longer than
 *   DIRECT_MAX_CHARS, and all of them within DIRECT_MAX_BYTES, so the operation stays within KV's limits.
 * - Segment (a large event, or a batch too large for one operation): the batch's JSON array, as UTF-8, is first
 *   staged in parts of PART_BYTES under keys that carry a random token (several atomic operations, none visible to
 *   readers); then one atomic operation checks the head and writes a pointer `{ segment, count, parts, bytes }` at
 *   the batch's first seq together with the new head. A writer that loses the race leaves only parts under its own
 *   token, which it removes; a reader follows only pointers that a head vouches for.
 */
import { LogCorrupted } from "reprise/store"
import type { AtomicOperation, Kv, KvKey } from "./deno-api.ts"
import {
  DELETE_BATCH,
  DIRECT_MAX_BYTES,
  DIRECT_MAX_CHARS,
  DIRECT_MAX_EVENTS,
  DIRECT_MAX_KEY_BYTES,
  eventKey,
  eventsPrefix,
  PART_BYTES,
  partKey,
  PARTS_PER_COMMIT,
  randomToken,
  segmentPartsPrefix
} from "./kv-keys.ts"

/** The value at an event key that stands for a whole batch stored in parts. */
export interface SegmentPointer {
  readonly segment: string
  readonly count: number
  readonly parts: number
  readonly bytes: number
}

const isSegmentPointer = (value: unknown): value is SegmentPointer =>
  typeof value === "object" && value !== null && typeof (value as { segment?: unknown }).segment === "string"

/** What one batch writes: either one value per event, or a staged segment. */
export type BatchPlan =
  | { readonly _tag: "Direct"; readonly texts: ReadonlyArray<string>; /** estimated, keys included */ readonly bytes: number }
  | { readonly _tag: "Segment"; readonly bytes: Uint8Array; readonly count: number }

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })

/** `keyBytes`: an upper bound of one event key's size (kv-keys.ts `executionKeyBytes`). */
export const planBatch = (encoded: ReadonlyArray<unknown>, keyBytes: number): BatchPlan => {
  const texts = encoded.map((event) => JSON.stringify(event))
  if (texts.length <= DIRECT_MAX_EVENTS && texts.length * keyBytes <= DIRECT_MAX_KEY_BYTES) {
    let bytes = 0
    let fits = true
    for (const text of texts) {
      if (text.length > DIRECT_MAX_CHARS) {
        fits = false
        break
      }
      bytes += 2 * text.length + keyBytes + 16
    }
    if (fits && bytes <= DIRECT_MAX_BYTES) return { _tag: "Direct", texts, bytes }
  }
  return { _tag: "Segment", bytes: encoder.encode(`[${texts.join(",")}]`), count: texts.length }
}

/** Stages a segment's parts (several atomic operations) and returns its pointer. */
export const stageSegment = async (
  kv: Kv,
  id: string,
  gen: string,
  firstSeq: number,
  plan: Extract<BatchPlan, { _tag: "Segment" }>
): Promise<SegmentPointer> => {
  const token = randomToken()
  const parts = Math.max(1, Math.ceil(plan.bytes.length / PART_BYTES))
  for (let first = 0; first < parts; first += PARTS_PER_COMMIT) {
    const op = kv.atomic()
    for (let part = first; part < Math.min(parts, first + PARTS_PER_COMMIT); part++) {
      op.set(partKey(id, gen, firstSeq, token, part), plan.bytes.slice(part * PART_BYTES, (part + 1) * PART_BYTES))
    }
    const result = await op.commit()
    if (!result.ok) throw new Error("staging a log segment failed a check it does not make")
  }
  return { segment: token, count: plan.count, parts, bytes: plan.bytes.length }
}

/** Removes a staged segment that was never committed (best effort: orphaned parts are also swept on delete). */
export const dropSegment = async (kv: Kv, id: string, gen: string, firstSeq: number, pointer: SegmentPointer): Promise<void> => {
  await deletePrefix(kv, segmentPartsPrefix(id, gen, firstSeq, pointer.segment)).catch(() => undefined)
}

/** Adds the batch's event keys to the atomic operation that moves the head. */
export const writeBatch = (
  op: AtomicOperation,
  id: string,
  gen: string,
  firstSeq: number,
  plan: BatchPlan,
  pointer: SegmentPointer | undefined
): void => {
  if (plan._tag === "Segment") {
    op.set(eventKey(id, gen, firstSeq), pointer)
    return
  }
  for (let i = 0; i < plan.texts.length; i++) op.set(eventKey(id, gen, firstSeq + i), plan.texts[i])
}

/**
 * Reads the raw (still encoded) events 1 … seq of a log generation, following segment pointers. Keys beyond `seq`
 * belong to appends that landed after the head was read and are not read. Returns the raw events, or the
 * LogCorrupted that describes the first gap or unreadable value.
 */
export const readRawEvents = async (
  kv: Kv,
  id: string,
  gen: string,
  seq: number
): Promise<Array<unknown> | LogCorrupted> => {
  const raw: Array<unknown> = []
  const corrupted = (at: number, reason: string) => new LogCorrupted({ executionId: id, seq: at, reason })
  const entries = kv.list({ prefix: eventsPrefix(id, gen), end: eventKey(id, gen, seq + 1) }, { batchSize: 1000 })
  for await (const entry of entries) {
    const expected = raw.length + 1
    const keySeq = entry.key[entry.key.length - 1]
    if (keySeq !== expected) return corrupted(expected, `the event at seq ${expected} is missing (found key seq ${String(keySeq)} next)`)
    const value = entry.value
    if (typeof value === "string") {
      try {
        raw.push(JSON.parse(value))
      } catch (error) {
        return corrupted(expected, `the stored event is not JSON: ${(error as Error).message}`)
      }
    } else if (isSegmentPointer(value)) {
      const events = await readSegment(kv, id, gen, expected, value)
      if (typeof events === "string") return corrupted(expected, events)
      for (const event of events) raw.push(event)
    } else {
      return corrupted(expected, `the stored value is neither an event nor a segment pointer (${typeof value})`)
    }
  }
  if (raw.length !== seq) return corrupted(raw.length + 1, `the log ends at seq ${raw.length}, but its head says ${seq} (truncated log)`)
  return raw
}

/**
 * The last raw event of a log generation (seq its head's), read from its last key alone (a segment's parts, when
 * that key points at one): what a listing needs of an old row's log, at a cost that does not grow with the log.
 * Undefined when it cannot be read.
 */
export const readLastRawEvent = async (kv: Kv, id: string, gen: string, seq: number): Promise<unknown> => {
  for await (const entry of kv.list({ prefix: eventsPrefix(id, gen), end: eventKey(id, gen, seq + 1) }, { reverse: true, limit: 1 })) {
    const value = entry.value
    if (typeof value === "string") {
      try {
        return JSON.parse(value)
      } catch {
        return undefined
      }
    }
    const firstSeq = entry.key[entry.key.length - 1]
    if (!isSegmentPointer(value) || typeof firstSeq !== "number") return undefined
    const events = await readSegment(kv, id, gen, firstSeq, value)
    return typeof events === "string" ? undefined : events[events.length - 1]
  }
  return undefined
}

/** A segment's events, or why it cannot be read. */
const readSegment = async (kv: Kv, id: string, gen: string, firstSeq: number, pointer: SegmentPointer): Promise<Array<unknown> | string> => {
  const bytes = new Uint8Array(pointer.bytes)
  let offset = 0
  let parts = 0
  for await (const entry of kv.list<Uint8Array>({ prefix: segmentPartsPrefix(id, gen, firstSeq, pointer.segment) })) {
    if (entry.key[entry.key.length - 1] !== parts || !(entry.value instanceof Uint8Array) || offset + entry.value.length > bytes.length) {
      return `segment ${pointer.segment}: part ${parts} is missing or malformed`
    }
    bytes.set(entry.value, offset)
    offset += entry.value.length
    parts++
  }
  if (parts !== pointer.parts || offset !== pointer.bytes) {
    return `segment ${pointer.segment}: found ${parts} parts and ${offset} bytes, expected ${pointer.parts} and ${pointer.bytes}`
  }
  try {
    const events: unknown = JSON.parse(decoder.decode(bytes))
    if (!Array.isArray(events) || events.length !== pointer.count) return `segment ${pointer.segment} does not hold ${pointer.count} events`
    return events
  } catch (error) {
    return `segment ${pointer.segment} is not JSON: ${(error as Error).message}`
  }
}

/** Deletes every key under a prefix, DELETE_BATCH keys per atomic operation. */
export const deletePrefix = async (kv: Kv, prefix: KvKey): Promise<void> => {
  for (let round = 0; round < 1_000_000; round++) {
    const keys: Array<KvKey> = []
    for await (const entry of kv.list({ prefix }, { limit: DELETE_BATCH })) keys.push(entry.key)
    if (keys.length === 0) return
    const op = kv.atomic()
    for (const key of keys) op.delete(key)
    await op.commit()
    if (keys.length < DELETE_BATCH) return
  }
}
