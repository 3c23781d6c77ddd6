/**
 * A start of a function under flow control (docs/flow-control.md), and a stop of a QUEUED execution: what the engine
 * does instead of its plain start when the function declares `concurrency`, `rateLimit`, `priority` or `debounce`.
 */
import { type Clock, Effect } from "effect"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import { foldLog } from "../log/fold.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { StartFailure, StartRequest, StartResult } from "./execution-client.ts"
import { type FlowDeps, makeFlowControl, type FlowControlShape } from "./flow-control.ts"
import type { FlowSlot } from "./flow-slots.ts"
import { type FlowControl, FlowConfigError } from "./flow-options.ts"
import type { DurableFunction } from "./registry.ts"
import { sameExecution, startedEvent } from "./start-request.ts"
import { WATCHDOG_MS } from "./actor-alarm.ts"
import type { FlowLedgerShape } from "./flow-ledger.ts"
import { makeSharedFlow, type PositionedView } from "./flow-shared.ts"
import type { OwnershipShape } from "./ownership.ts"

export interface FlowStartDeps {
  readonly store: ExecutionStoreShape
  readonly flow: FlowControlShape
  /** The queues' time. */
  readonly clock: Clock.Clock
  /** The log of a queued execution after a write the engine's actors did not make (its dequeue, its stop). */
  readonly written: (events: ReadonlyArray<LogEvent>) => void
  /** The engine's plain start of a new execution, holding `slot` (the queue was skipped). */
  readonly runNow: (fn: DurableFunction, request: StartRequest, input: string | undefined, executionId: string, slot: FlowSlot | undefined) => Effect.Effect<StartResult, StartFailure>
  /** Whether a function of this name is registered here (a QUEUED execution of one that is not can still be stopped). */
  readonly registered?: ((functionName: string) => boolean) | undefined
}

export const makeFlowStart = (deps: FlowStartDeps) => {
  const { store, flow, clock } = deps

  const start = (fn: DurableFunction & { readonly flow: FlowControl }, request: StartRequest, input: string | undefined, executionId: string) =>
    Effect.gen(function*() {
      const now = clock.currentTimeMillisUnsafe()
      const keys = yield* flow.keysOf(fn, input, request.priority)
      const collapsed = fn.flow.debounce === undefined ? undefined : yield* flow.debouncedInto(fn, keys, input, now)
      if (collapsed !== undefined) return { executionId: collapsed, created: false, queued: true }
      // Decided after the collapse: a start that joins a waiting execution adds none to the rate.
      const refused = flow.refusal(fn, keys, now)
      if (refused !== undefined) return yield* Effect.fail(refused)
      if (flow.mayRunNow(fn, keys, now)) {
        // The slot is taken before the write, so that two starts cannot both see it free; given back if it fails.
        const slot = flow.ranNow(fn, keys, executionId, now)
        return yield* deps.runNow(fn, request, input, executionId, slot).pipe(Effect.tapError(() => Effect.sync(() => slot?.release())))
      }
      const debounce = fn.flow.debounce
      const first: LogEvent = {
        ...startedEvent(fn, executionId, input, now, request),
        queue: { ...keys, ...(debounce === undefined ? {} : { notBefore: now + debounce.periodMs }) }
      }
      // No alarm: a QUEUED execution has nothing due; the engine's recovery finds it by listing after a restart.
      const written = yield* Effect.result(store.append(executionId, [first], 0))
      if (written._tag === "Failure") {
        if (written.failure._tag !== "SeqConflict") return yield* Effect.fail(written.failure)
        const raced = yield* store.load(executionId)
        return yield* sameExecution(raced!.events[0]!, fn.name, input, executionId)
      }
      flow.queued(fn, written.success)
      deps.written(written.success) // the lifecycle feed and the observer hear of the queued start too
      return { executionId, created: true, queued: true }
    })

  /**
   * Stops a QUEUED execution waiting here: ExecutionStopped is written without anything having run, with its
   * retention alarm. False when it is not waiting in this engine's queue.
   */
  const stopQueued = (executionId: string, error: ErrorObject | undefined) =>
    Effect.gen(function*() {
      const events = flow.remove(executionId) ?? (yield* unqueuedOrphan(executionId))
      if (events === undefined) return false
      const first = events[0] as Extract<LogEvent, { _tag: "ExecutionStarted" }>
      const now = clock.currentTimeMillisUnsafe()
      const stopped: LogEvent = { _tag: "ExecutionStopped", seq: events.length + 1, at: now, ...(error === undefined ? {} : { error }) }
      // A conflict: written by another writer meanwhile; the stop goes to its actor instead.
      return yield* store.append(executionId, [stopped], events.length, { alarmAt: now + first.retentionMs }).pipe(
        Effect.map((done) => {
          deps.written([...events, ...done])
          return true
        }),
        Effect.catchTag("SeqConflict", () => Effect.succeed(false))
      )
    })

  /**
   * The log of a QUEUED execution of a function no longer registered (a deploy removed it): no queue holds it, so a
   * stop writes its end here (it was refused as not running, and the execution stayed QUEUED for good).
   */
  const unqueuedOrphan = (executionId: string) =>
    Effect.gen(function*() {
      if (deps.registered === undefined) return undefined
      const log = yield* store.load(executionId)
      if (log === undefined) return undefined
      const state = foldLog(log.events)
      return state.status === "QUEUED" && !deps.registered(state.functionName) ? log.events : undefined
    })

  return { start, stopQueued }
}

/** What the engine uses of flow control: in memory (flow-control.ts) or over a ledger (flow-shared.ts). */
export interface EngineFlow {
  readonly flow: Pick<FlowControlShape, "slotOf"> & {
    /** QUEUED views with their place in their function's queue (`queuePosition`). */
    readonly withPositions: <V extends PositionedView>(views: ReadonlyArray<V>) => Effect.Effect<ReadonlyArray<V>>
  }
  readonly flowStart: ReturnType<typeof makeFlowStart>
}

/** The engine's flow control: the queues, the flow-controlled start, and the queues' recovery from the store. */
export const makeEngineFlow = (
  deps: Omit<FlowDeps, "watchdogMs"> & Pick<FlowStartDeps, "runNow" | "written"> & {
    readonly functions: ReadonlyArray<DurableFunction>
    /** Several hosts share the store (ownership.ts): each would keep its own queue and slots. */
    readonly severalHosts: boolean
    /** Counts shared with the other hosts (flow-ledger.ts): given, the engine counts there instead of in memory. */
    readonly ledger?: FlowLedgerShape | undefined
    readonly ownership?: OwnershipShape | undefined
    readonly hasActor?: (executionId: string) => boolean
    readonly registered?: ((functionName: string) => boolean) | undefined
  }
): EngineFlow => {
  const run: FlowDeps["run"] = (events, fn, watchdogAt, slot) => Effect.andThen(Effect.sync(() => deps.written(events)), deps.run(events, fn, watchdogAt, slot))
  const limited = deps.functions.filter((fn): fn is DurableFunction & { flow: FlowControl } => fn.flow !== undefined)
  if (deps.ledger !== undefined && limited.length > 0) {
    return makeSharedFlow({ ...deps, ledger: deps.ledger, ownership: deps.ownership, functions: limited, run, watchdogMs: WATCHDOG_MS, hasActor: deps.hasActor ?? (() => false) })
  }
  const flow = makeFlowControl({ ...deps, run, watchdogMs: WATCHDOG_MS })
  const flowStart = makeFlowStart({ store: deps.store, flow, clock: deps.clock, runNow: deps.runNow, written: deps.written, registered: deps.severalHosts ? undefined : deps.registered })
  if (limited.length > 0 && deps.severalHosts) {
    // Refused rather than enforced per host: the queue, the slots and the rate windows are one engine's.
    throw new FlowConfigError(`Flow control needs one host per store; with several hosts sharing it, ${limited.map((fn) => fn.name).join(", ")} would get a limit per host`)
  }
  // After a restart the QUEUED executions in the store are the queue: nothing queued is lost. Those of a function
  // deployed since without limits are recovered too, as a queue with none, so they run at once: left out, they
  // stayed QUEUED for good, and a stop of one was refused as not running (the probe: a redeploy that dropped a
  // concurrency limit). One listing per function at start.
  const unlimited = deps.severalHosts ? [] : deps.functions.filter((fn) => fn.flow === undefined).map((fn) => ({ ...fn, flow: {} }))
  if (limited.length + unlimited.length > 0) deps.background("recovering the queues", "", flow.recover([...limited, ...unlimited]))
  return { flow, flowStart }
}
