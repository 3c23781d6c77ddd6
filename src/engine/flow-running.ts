/**
 * Which RUNNING executions held a concurrency slot when their host went down: read from their logs at a restart,
 * since the slots were the dead host's (in its memory, or in a ledger row that lapses with it). Those get a slot
 * held for them before the queue moves (flow-control.ts in memory, flow-shared.ts over a ledger).
 */
import { Effect } from "effect"
import type { LogEvent } from "../log/events.ts"
import { type ExecutionState, foldLog } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { StoreFailure } from "../store/store-errors.ts"

/** Whether an execution's log shows it running user code (a step attempt in flight, or nothing durable pending). */
export const wasRunningUserCode = (state: ExecutionState): boolean => {
  let inFlight = false
  let blocked = false
  for (const op of state.operations.values()) {
    if (op.type === "STEP" && op.status === "STARTED") inFlight = true
    else if (op.status === "PENDING" || (op.status === "STARTED" && (op.type === "WAIT" || op.type === "CALLBACK" || op.type === "CHAINED_INVOKE"))) blocked = true
  }
  return inFlight || (!blocked && !state.paused)
}

/** RUNNING executions of one limited function read at a restart for their slots (pages of 1,000). */
const MAX_RUNNING_PAGES = 10

/** The queue entry an execution's start recorded (its concurrency key, if it was queued). */
export type StartedQueue = Extract<LogEvent, { readonly _tag: "ExecutionStarted" }>["queue"]

/**
 * Visits each RUNNING execution of `functionName` whose log shows it running user code, with its state and the
 * queue entry its start recorded: pages of 1,000, at most MAX_RUNNING_PAGES, or fewer once `enough()` says so after
 * a page. Both flow controls hold these executions' slots at a restart (in memory, and over a ledger).
 */
export const forEachRunningUserCode = <E>(
  store: ExecutionStoreShape,
  functionName: string,
  visit: (executionId: string, state: ExecutionState, queue: StartedQueue) => Effect.Effect<void, E>,
  enough: () => boolean = () => false
): Effect.Effect<void, E | StoreFailure | LogCorrupted> =>
  Effect.gen(function*() {
    let cursor: string | undefined
    for (let page = 0; page < MAX_RUNNING_PAGES; page++) {
      const listed = yield* store.list({ functionName, status: "RUNNING", limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
      for (const item of listed.items) {
        const log = yield* store.load(item.executionId)
        if (log === undefined) continue
        const state = foldLog(log.events)
        if (state.status !== "RUNNING" || !wasRunningUserCode(state)) continue
        const first = log.events[0]!
        yield* visit(item.executionId, state, first._tag === "ExecutionStarted" ? first.queue : undefined)
      }
      if (listed.cursor === undefined || enough()) return
      cursor = listed.cursor
    }
  })
