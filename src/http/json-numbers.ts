/**
 * Numbers in JSON text that would reach the store changed, refused instead (by the API's body reader, read-body.ts,
 * and the CLI's JSON arguments): one out of range, which JSON.parse reads as Infinity and JSON.stringify writes as
 * null; and an integer beyond 2^53 that a number cannot hold exactly (12345678901234567890 reads as
 * 12345678901234567000). Fractions are read to the nearest double, as everywhere in JavaScript.
 */

/**
 * A number literal JSON.parse may turn into Infinity: one with an exponent (a long mantissa can overflow with a short
 * one: 1 and 250 zeros then e99), or 309 digits in a row. Only then is the parsed body walked (most bodies never are).
 */
export const MAY_OVERFLOW = /\d[eE][+-]?\d|\d{309}/

/**
 * Whether a parsed JSON value holds a number that is not finite (JSON.stringify would write it as null). A loop over
 * its own stack, not recursion: a deeply nested body must not overflow the call stack.
 */
export const hasNonFinite = (value: unknown): boolean => {
  const pending: Array<unknown> = [value]
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next === "number" && !Number.isFinite(next)) return true
    if (typeof next === "object" && next !== null) for (const item of Array.isArray(next) ? next : Object.values(next)) pending.push(item)
  }
  return false
}

/** Every integer beyond 2^53 (9007199254740992) has 16 digits or more: a text without 16 in a row is not read again. */
const MAY_ROUND = /\d{16}/

/** A JSON text's strings and numbers, whole: a digit run inside a string, a fraction or an exponent is no integer. */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g

/**
 * Whether valid JSON text holds an integer literal that its number does not equal exactly. One pass over its tokens
 * (a second JSON.parse with a reviver took 6 times the first on a body whose strings held long digit runs).
 */
export const hasRoundedInteger = (text: string): boolean => {
  if (!MAY_ROUND.test(text)) return false
  for (const [token] of text.matchAll(TOKENS)) {
    if (token.length < 16 || token.startsWith("\"") || /[.eE]/.test(token)) continue
    const value = Number(token)
    if (Number.isFinite(value) && BigInt(token) !== BigInt(value)) return true
  }
  return false
}
