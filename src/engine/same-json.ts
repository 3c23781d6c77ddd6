/**
 * Whether two JSON texts hold the same value: object members in any order, arrays in order, numbers by value
 * (`1.0` is `1`). A repeated start of a named execution is the same start when its input is the same value, however
 * the client serialised it. Texts that are not JSON are equal only when identical.
 */
export const sameJson = (a: string | undefined, b: string | undefined): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  try {
    return sameValue(JSON.parse(a), JSON.parse(b))
  } catch {
    return false
  }
}

const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false
    return true
  }
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const key of keys) {
    if (!Object.hasOwn(b, key) || !sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false
  }
  return true
}
