/**
 * The Deno KV store's key layout and the KV limits it plans its writes around.
 *
 *   ["reprise", "meta", id]                          { seq, gen, summary }: the log's head and the listing row
 *   ["reprise", "events", id, gen, seq]              one event as JSON text, or a segment pointer (see kv-log.ts)
 *   ["reprise", "parts", id, gen, seq, token, i]     the UTF-8 bytes of a segment, in parts under the value limit
 *   ["reprise", "alarm", id]                         the execution's single alarm (ms since the epoch)
 *   ["reprise", "alarm-at", at, id]                  the same alarm, ordered by time (for the start-up sweep)
 *   ["reprise", "list", …]                           the listing index (see kv-listing.ts)
 *   ["reprise", "config", name]                      server settings, such as the callback-signing secret
 *
 * `gen` is a random token chosen when the execution is created: event keys of a deleted execution can then be
 * swept while the same id is created again, without the sweep touching the new log.
 */
import type { KvKey } from "./deno-api.ts"

const ROOT = "reprise"

export const metaKey = (id: string): KvKey => [ROOT, "meta", id]
export const eventsPrefix = (id: string, gen: string): KvKey => [ROOT, "events", id, gen]
export const eventKey = (id: string, gen: string, seq: number): KvKey => [ROOT, "events", id, gen, seq]
export const partsPrefix = (id: string, gen: string): KvKey => [ROOT, "parts", id, gen]
export const segmentPartsPrefix = (id: string, gen: string, seq: number, token: string): KvKey => [ROOT, "parts", id, gen, seq, token]
export const partKey = (id: string, gen: string, seq: number, token: string, part: number): KvKey => [ROOT, "parts", id, gen, seq, token, part]
export const alarmKey = (id: string): KvKey => [ROOT, "alarm", id]
export const alarmAtPrefix: KvKey = [ROOT, "alarm-at"]
export const alarmAtKey = (at: number, id: string): KvKey => [ROOT, "alarm-at", at, id]
export const listPrefix: KvKey = [ROOT, "list"]
export const configKey = (name: string): KvKey => [ROOT, "config", name]

/**
 * Deno KV's limits (Deno 2.9, the same on Deno Deploy): a value is at most 64 KiB once serialised, an atomic
 * operation holds at most 1,000 mutations, 100 checks, 800 KiB of keys and values, and 80 KiB of keys (those it
 * sets; measured on 2.9.6: 975 event keys of a 36-character id commit, 976 throw "Total key size too large"; checks
 * and deletes do not count, though the estimates here count checks too), and a queue delay is at most 30 days.
 */
export const KV_LIMITS = {
  valueBytes: 65_536,
  mutations: 1000,
  checks: 100,
  mutationBytes: 819_200,
  keyBytes: 81_920,
  queueDelayMs: 30 * 24 * 3600 * 1000
} as const

/**
 * An upper bound of the bytes a string takes in a KV key: its UTF-8, where a NUL takes two (KV escapes it as
 * 00 FF, since 00 ends a string part).
 */
export const keyPartBytes = (text: string): number => {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    bytes += code === 0 ? 2 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3 // a surrogate pair: 3 + 3 >= its 4 bytes
  }
  return bytes
}

/** An upper bound of the size of one of an execution's keys: its id, and at most 64 bytes of fixed parts. */
export const executionKeyBytes = (id: string): number => keyPartBytes(id) + 64

/**
 * An event whose JSON text is at most this long is stored as it is: V8 serialises a string with at most two bytes
 * a character, so it stays under the value limit whatever its characters. Longer events go to a segment.
 */
export const DIRECT_MAX_CHARS = 30_000
/** A batch is written directly (one key an event) when it has at most this many events … */
export const DIRECT_MAX_EVENTS = 900
/** … and its events' estimated size (two bytes a character plus the key) stays under this … */
export const DIRECT_MAX_BYTES = 600_000
/** … and its event keys under this (KV_LIMITS.keyBytes less room for the head's, index's and alarm's keys). */
export const DIRECT_MAX_KEY_BYTES = 60_000
/** The size of one part of a segment (bytes), and how many parts are staged in one atomic operation. */
export const PART_BYTES = 60_000
export const PARTS_PER_COMMIT = 10
/** Deletions of event and part keys go in atomic operations of this many. */
export const DELETE_BATCH = 500

/** The message `setAlarm` enqueues; the queue listener delivers the alarm only if it is still due (queue-wake-ups.ts). */
export interface AlarmMessage {
  readonly reprise: "alarm"
  readonly executionId: string
  readonly at: number
}

export const alarmMessage = (executionId: string, at: number): AlarmMessage => ({ reprise: "alarm", executionId, at })

export const isAlarmMessage = (value: unknown): value is AlarmMessage =>
  typeof value === "object" && value !== null && (value as { reprise?: unknown }).reprise === "alarm" &&
  typeof (value as { executionId?: unknown }).executionId === "string" &&
  typeof (value as { at?: unknown }).at === "number"

/** A short random token (gens and segment tokens). */
export const randomToken = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(9))
  let text = ""
  for (const byte of bytes) text += byte.toString(36).padStart(2, "0")
  return text
}
