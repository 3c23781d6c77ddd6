/**
 * Reading what user code threw, safely and within limits: a thrown value may have getters that throw, cycles, or a
 * message of megabytes, and its record is stored in the log, shown by describe, the console and the CLI, logged by
 * the host and put on spans. Reading it must never throw (the step's failure would go unrecorded) and what is kept
 * is bounded.
 */

/** The most characters of an error's message that are kept. */
export const MAX_MESSAGE_CHARS = 32_768
/** The most characters of an error's type (its class name) that are kept. */
export const MAX_TYPE_CHARS = 256

/** `text` cut to `max` characters (not inside a surrogate pair), saying how much is left out. */
export const bounded = (text: string, max: number): string => {
  if (text.length <= max) return text
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max
  return `${text.slice(0, end)}… (${text.length - end} more characters)`
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff

/** What a value is, for a message refusing it: `typeof`, but "null" for null. */
export const typeOf = (value: unknown): string => (value === null ? "null" : typeof value)

/**
 * `value instanceof type`, false when asking throws (a Proxy whose getPrototypeOf trap throws, a revoked Proxy:
 * `instanceof` itself throws for those).
 */
export const isInstance = <T>(value: unknown, type: abstract new(...args: Array<any>) => T): value is T => {
  try {
    return value instanceof type
  } catch {
    return false
  }
}

export const isError = (value: unknown): value is Error => isInstance(value, Error)

/** A property of a thrown value, or undefined when reading it throws (a getter, a Proxy). */
export const readSafely = (read: () => unknown): unknown => {
  try {
    return read()
  } catch {
    return undefined
  }
}

/**
 * Any value as text: JSON where it can be (a cycle written `[Circular]`, a BigInt as `12n`), else `String(value)`,
 * else a placeholder. Never throws.
 */
export const safeString = (value: unknown): string => {
  try {
    const ancestors: Array<unknown> = []
    const json = JSON.stringify(value, function(this: unknown, _key: string, v: unknown) {
      if (typeof v === "bigint") return `${v}n`
      if (typeof v !== "object" || v === null) return v
      // The objects above this one: `this` is the one holding `v` (a value seen twice outside a cycle is kept).
      while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop()
      if (ancestors.includes(v)) return "[Circular]"
      ancestors.push(v)
      return v
    })
    if (json !== undefined) return json
  } catch {
    // a toJSON that throws: below
  }
  try {
    return String(value)
  } catch {
    return "(a value that cannot be shown)"
  }
}
