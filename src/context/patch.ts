/**
 * `ctx.patched(id)` and `ctx.deprecatePatch(id)`: changing code while executions are in flight.
 *
 * A patch marker is not an operation: it takes no positional id, so an execution whose log was written before the
 * patch replays with the same ids. Each marker records the context that took the new path and how many operations
 * that context had begun then. In replay (the log holds operations after this point), `patched` is true only where
 * the log has a marker at or before this point: in the same context at a position not after this one, or in an
 * enclosing context strictly before this context began. The first answer for a patch id holds for the rest of the
 * incarnation, so an old execution that said false before its suspension keeps its old path after it too.
 */
import { patchKey } from "../log/fold.ts"
import { contextKey } from "../log/operation-id.ts"
import type { ContextCore } from "./context-core.ts"
import { ConfigurationError } from "./errors.ts"

/** Where markers are not kept, an answer of true would turn false on the next replay: refuse instead. */
const checkStore = (core: ContextCore): void => {
  if (core.session.keepsPatchMarkers !== false) return
  const error = new ConfigurationError(
    "ctx.patched and ctx.deprecatePatch need a store that keeps patch markers; Lambda's durable-execution service " +
      "keeps only operations. Version Lambda functions with Lambda's own versions and aliases instead"
  )
  core.session.fail(error)
  throw error
}

const checkId = (patchId: unknown): string => {
  if (typeof patchId !== "string" || patchId.length === 0 || patchId.length > 256) {
    throw new ConfigurationError(`A patch id must be a string of 1 to 256 characters, got ${JSON.stringify(patchId)}`)
  }
  return patchId
}

/** True when a marker for `patchId` is recorded at or before the point `position` of context `contextId`. */
const markedBefore = (patches: ReadonlyMap<string, number>, contextId: string | undefined, position: number, patchId: string): boolean => {
  const own = patches.get(patchKey(contextId, patchId))
  if (own !== undefined && own <= position) return true
  if (contextId === undefined) return false
  // Enclosing contexts: "2-3" began at position 2 of the root and position 3 of context "2".
  const parts = contextId.split("-")
  for (let depth = 0; depth < parts.length; depth++) {
    const enclosing = depth === 0 ? undefined : parts.slice(0, depth).join("-")
    const marked = patches.get(patchKey(enclosing, patchId))
    if (marked !== undefined && marked < Number(parts[depth])) return true
  }
  return false
}

/** Whether the log already holds operations of this context after its current position. */
const replaying = (core: ContextCore): boolean =>
  (core.session.state.lastPosition.get(contextKey(core.parentId)) ?? 0) > core.position

const record = (core: ContextCore, patchId: string): void => {
  const { session } = core
  const position = core.position
  if (markedBefore(session.state.patches, core.parentId, position, patchId) || !core.notePatch(patchId)) return
  session.post([{
    _tag: "PatchMarked",
    patchId,
    ...(core.parentId === undefined ? {} : { contextId: core.parentId }),
    position
  }])
}

/** The answers given so far, per session (one incarnation of an execution) and patch id. */
const decided = new WeakMap<object, Map<string, boolean>>()

/** From a step's body or another context's code: refused as any durable call is (it answered as if it were the context's). */
const checkOwner = (core: ContextCore, method: string): void => {
  const misuse = core.misused(method)
  if (misuse !== undefined) throw misuse
}

export const patched = (core: ContextCore, patchId: unknown): boolean => {
  checkOwner(core, "patched")
  checkStore(core)
  const id = checkId(patchId)
  let answers = decided.get(core.session)
  if (answers === undefined) decided.set(core.session, answers = new Map())
  const known = answers.get(id)
  if (known !== undefined) return known
  const answer = replaying(core) ? markedBefore(core.session.state.patches, core.parentId, core.position, id) : true
  if (answer && !replaying(core)) record(core, id)
  answers.set(id, answer)
  return answer
}

/**
 * The patch's old path is gone from the code: nothing to decide. New runs still record the marker, so that a
 * version of the code that still calls `patched(id)` replays their logs on the new path.
 */
export const deprecatePatch = (core: ContextCore, patchId: unknown): void => {
  checkOwner(core, "deprecatePatch")
  checkStore(core)
  const id = checkId(patchId)
  if (!replaying(core)) record(core, id)
}
