/**
 * The test runner's crash-at-every-checkpoint mode: for an execution in this mode, every append after its start
 * (a checkpoint) is met twice. The first time, the actor is dropped before the write (nothing is written); the
 * second time the write lands and the actor is dropped right after, before it acts on it. Each drop interrupts the
 * actor as a crash would; the runner resumes it from the store, by replay, at once (its clock does not move).
 * At-least-once becomes visible: a step body whose result was never written runs again.
 */
import { Effect } from "effect"
import { firstRunId } from "../engine/continue-as-new.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"

/** What the mode did to one execution. */
export interface CheckpointCrashes {
  /** Appends met (each crashed before and after its write). */
  checkpoints: number
  /** Actor drops. */
  crashes: number
}

interface CrashState extends CheckpointCrashes {
  /** Checkpoints (by the seq they append after) already crashed before their write. */
  readonly before: Set<number>
}

/** The store that crashes the executions registered with `crashAt`; every other call goes to `store()` as it is now. */
export const makeCrashingStore = (store: () => ExecutionStoreShape) => {
  const crashing = new Map<string, CrashState>()
  /**
   * The execution's state in the mode. A run that continues a crashing execution as new (`<id>~2`, `<id>~3` …) is
   * in the mode too: it is the same execution, and it starts before the runner could name it.
   */
  const stateOf = (id: string): CrashState | undefined => {
    const state = crashing.get(id)
    if (state !== undefined) return state
    const first = firstRunId(id)
    if (first === undefined || !crashing.has(first)) return undefined
    const fresh: CrashState = { checkpoints: 0, crashes: 0, before: new Set() }
    crashing.set(id, fresh)
    return fresh
  }
  const routed: ExecutionStoreShape = {
    load: (id) => store().load(id),
    readPage: (id, after, limit) => {
      const inner = store()
      return inner.readPage === undefined ? Effect.map(inner.load(id), (log) => log?.events.slice(after, after + limit)) : inner.readPage(id, after, limit)
    },
    append: (id, events, expectedSeq, options) => {
      const state = stateOf(id)
      const write = store().append(id, events, expectedSeq, options)
      if (state === undefined || expectedSeq === 0) return write
      state.crashes++
      if (!state.before.has(expectedSeq)) {
        state.before.add(expectedSeq)
        state.checkpoints++
        return Effect.interrupt
      }
      state.before.delete(expectedSeq)
      return Effect.andThen(write, Effect.interrupt)
    },
    setAlarm: (id, at) => store().setAlarm(id, at),
    getAlarm: (id) => store().getAlarm(id),
    deleteAlarm: (id) => store().deleteAlarm(id),
    list: (query) => store().list(query),
    summary: (id) => store().summary(id),
    delete: (id) => store().delete(id)
  }
  return {
    store: routed,
    /** Puts the execution in the mode (before it starts). */
    crashAt: (executionId: string): void => void crashing.set(executionId, { checkpoints: 0, crashes: 0, before: new Set() }),
    /** What the mode did to the execution (undefined: not in the mode). */
    crashesOf: (executionId: string): CheckpointCrashes | undefined => {
      const state = stateOf(executionId)
      return state === undefined ? undefined : { checkpoints: state.checkpoints, crashes: state.crashes }
    }
  }
}
