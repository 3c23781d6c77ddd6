/**
 * Payloads as people read them, where the stored form is an internal one: a map's or parallel's aggregate (stored
 * as compact item records, batch.ts) is shown BatchResult-like, and a waitForCallback's result (the callback's
 * raw string, stored as a JSON string) is shown as that string, so a JSON payload reads as JSON once, not twice.
 */
import { LETTER_STATUS } from "../../context/batch-result.ts"

const parse = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

interface StoredItem {
  readonly i: number
  readonly n?: string
  readonly s: keyof typeof LETTER_STATUS
  readonly r?: string
  readonly e?: unknown
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

const batchResult = (stored: Record<string, unknown>): unknown => {
  if (Array.isArray(stored.items)) {
    const all = (stored.items as ReadonlyArray<StoredItem>).map((item) => {
      const result = item.r === undefined ? undefined : parse(item.r)
      return {
        index: item.i,
        ...(item.n === undefined ? {} : { name: item.n }),
        status: LETTER_STATUS[item.s] ?? item.s,
        ...(result === undefined ? {} : { result: result.ok ? result.value : item.r }),
        ...(item.e === undefined ? {} : { error: item.e })
      }
    })
    const count = (status: string) => all.filter((item) => item.status === status).length
    return { completionReason: stored.reason, successCount: count("SUCCEEDED"), failureCount: count("FAILED"), totalCount: all.length, all }
  }
  if (typeof stored.statuses === "string") {
    // Over the payload limit, only a summary was kept: one letter per item.
    return { completionReason: stored.reason, successCount: stored.successCount, failureCount: stored.failureCount, statuses: stored.statuses }
  }
  return stored
}

/** The payload of a CONTEXT operation of `subType`, as shown (JSON text when it was JSON text). */
export const shownPayload = (subType: string, payload: string): string => {
  if (subType !== "Map" && subType !== "Parallel" && subType !== "WaitForCallback") return payload
  const parsed = parse(payload)
  if (!parsed.ok) return payload
  if (subType === "WaitForCallback") return typeof parsed.value === "string" ? parsed.value : payload
  return isRecord(parsed.value) && typeof parsed.value.reason === "string" ? JSON.stringify(batchResult(parsed.value)) : payload
}
