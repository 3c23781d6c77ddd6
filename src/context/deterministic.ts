/**
 * `ctx.now()`, `ctx.random()`, `ctx.uuid()`: values taken from the execution's Clock and Random on first run and
 * recorded in the log (as STEP operations of subtype Now, Random, Uuid), so every replay sees the same value.
 */
import type { Begun, ContextCore } from "./context-core.ts"

export const recordValue = async <T>(
  core: ContextCore,
  begun: Begun,
  produce: () => T
): Promise<T> => {
  if (begun.recorded?.status === "SUCCEEDED") return JSON.parse(begun.recorded.result!) as T
  const value = produce()
  // Durable before use: a side effect that used the value must see the same value after a crash.
  await core.session.append([{ _tag: "StepSucceeded", ...begun.ref, attempt: 1, result: JSON.stringify(value) }])
  return value
}

export const uuidFrom = (random: () => number): string => {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

