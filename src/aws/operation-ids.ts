/**
 * Operation ids on the wire. Reprise's positional ids ("1", "2-1", "2-1-3") are the AWS SDK's, and the service
 * sees them as AWS's SDK sends them: the first 16 hex digits of their MD5. Going back (the service's operations
 * into the log) needs the positional id of each wire id: an operation's parent is known first, so its id is
 * found among "<parent>-1", "<parent>-2" … (or "<batch>-<item>-<k>" under a map or parallel with FLAT nesting,
 * whose virtual item contexts have no operation of their own).
 */
import { md5Hex } from "./md5.ts"

const cache = new Map<string, string>()

/** The wire id of a positional id. */
export const wireId = (positional: string): string => {
  let hash = cache.get(positional)
  if (hash === undefined) {
    hash = md5Hex(positional).slice(0, 16)
    if (cache.size >= 50_000) cache.clear()
    cache.set(positional, hash)
  }
  return hash
}

/** How many positions past the number of known operations are searched before an id is declared unknown. */
const SLACK = 1024
/** Item contexts of a FLAT batch: how deep into one item's positions the search goes at most. */
const MAX_FLAT_DEPTH = 256

interface Frontier {
  /** One level: "<prefix><k>" generated for k = 1 … generated. */
  generated: number
  /** Two levels (FLAT batches): "<prefix><j>-<k>" for j ≤ items, k ≤ depth. */
  items: number
  depth: number
}

export interface IdResolver {
  /**
   * The positional id of a wire operation, or undefined when it cannot be found under its parent.
   * `parentIsBatch`: the parent is a map or parallel, whose items may be virtual (FLAT nesting).
   */
  resolve(id: string, parentId: string | undefined, parentIsBatch?: boolean): string | undefined
  /** The positional id already resolved for a wire id. */
  positionalOf(id: string): string | undefined
  /** Records an operation already known by its positional id (a state read back from a log). */
  remember(positional: string): void
}

/**
 * `expected`: how many operations the state holds (bounds the search); a function where the state grows (the
 * service's side, which resolves each new operation as it is checkpointed).
 */
export const makeIdResolver = (expected: number | (() => number)): IdResolver => {
  const known = new Map<string, string>()
  const candidates = new Map<string, string>()
  const frontiers = new Map<string, Frontier>()
  let limit = 0
  const bound = () => (limit = (typeof expected === "number" ? expected : expected()) + SLACK)

  const frontierOf = (prefix: string): Frontier => {
    let frontier = frontiers.get(prefix)
    if (frontier === undefined) {
      frontier = { generated: 0, items: 0, depth: 0 }
      frontiers.set(prefix, frontier)
    }
    return frontier
  }

  const add = (positional: string) => candidates.set(wireId(positional), positional)

  const oneLevel = (prefix: string, id: string): string | undefined => {
    const frontier = frontierOf(prefix)
    let found = candidates.get(id)
    while (found === undefined && frontier.generated < limit) {
      const upTo = Math.min(limit, Math.max(64, frontier.generated * 2))
      for (let k = frontier.generated + 1; k <= upTo; k++) add(`${prefix}${k}`)
      frontier.generated = upTo
      found = candidates.get(id)
    }
    return found
  }

  const twoLevels = (prefix: string, id: string): string | undefined => {
    const frontier = frontierOf(prefix)
    let found = candidates.get(id)
    while (found === undefined && frontier.depth < MAX_FLAT_DEPTH) {
      const items = limit
      const depth = Math.min(MAX_FLAT_DEPTH, Math.max(4, frontier.depth * 2))
      for (let j = 1; j <= items; j++) {
        const from = j <= frontier.items ? frontier.depth + 1 : 1
        for (let k = from; k <= depth; k++) add(`${prefix}${j}-${k}`)
      }
      frontier.items = items
      frontier.depth = depth
      found = candidates.get(id)
    }
    return found
  }

  return {
    positionalOf: (id) => known.get(id),
    remember: (positional) => void known.set(wireId(positional), positional),
    resolve: (id, parentId, parentIsBatch = false) => {
      const already = known.get(id)
      if (already !== undefined) return already
      bound()
      let prefix = ""
      if (parentId !== undefined) {
        const parent = known.get(parentId)
        if (parent === undefined) return undefined
        prefix = `${parent}-`
      }
      const found = oneLevel(prefix, id) ?? (parentIsBatch ? twoLevels(prefix, id) : undefined)
      // A candidate of another context with the same hash prefix is not this operation.
      if (found === undefined || !found.startsWith(prefix)) return undefined
      known.set(id, found)
      return found
    }
  }
}
