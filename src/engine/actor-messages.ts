/** The actor's mailbox messages, its replies, and what it needs from the engine. */
import type { Clock, Deferred, Random } from "effect"
import type { FetchTransport } from "../context/fetch.ts"
import type { DefaultLoggerLevel } from "../context/logger.ts"
import type { InvocationInfo } from "../context/session.ts"
import type { SecureRandomShape } from "./secure-random.ts"
import type { ErrorObject, LogEvent, NewEvent, OperationRef } from "../log/events.ts"
import type { ExecutionState, OperationState } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { ExecutionStoreShape } from "../store/execution-store.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { CallbackIdCodec } from "./callback-ids.ts"
import type { CallbackAlreadyCompleted, CallbackNotFound, ExecutionNotEnded, ExecutionNotPaused, ExecutionNotRunning, InvalidRequest, TimerNotPending } from "./engine-errors.ts"
import type { LifecycleLine } from "./lifecycle-log.ts"
import type { Session } from "../context/session.ts"
import type { DurableFunction } from "./registry.ts"

/** How an invoked child execution ended, as its parent records it. */
export type ChildOutcome =
  | { readonly status: "SUCCEEDED"; readonly result?: string }
  | { readonly status: "FAILED" | "TIMED_OUT" | "STOPPED"; readonly error?: ErrorObject }

export type CallbackOutcome = { readonly ok: true; readonly result?: string } | { readonly ok: false; readonly error: ErrorObject }

/**
 * Why an actor stopped when its store failed it: every message it leaves unanswered is answered with this error,
 * which the engine passes on to the sender (resending would only meet the same store).
 */
export type StoreError = StoreFailure | LogCorrupted

export type ReplyError =
  | ActorGone
  | StoreError
  | CallbackNotFound
  | CallbackAlreadyCompleted
  | InvalidRequest
  | ExecutionNotRunning
  | ExecutionNotPaused
  | ExecutionNotEnded
  | TimerNotPending
export type Reply = Deferred.Deferred<void, ReplyError>

/**
 * The actor stopped (evicted, or lost its log to another writer) before handling a message: send it again.
 * An actor stopped by a failing store answers with the store's error instead.
 */
export class ActorGone {
  readonly _tag = "ActorGone"
}

export type Message =
  | { readonly _tag: "Append"; readonly events: ReadonlyArray<NewEvent>; readonly done?: (shared: boolean) => void }
  | { readonly _tag: "Alarm"; readonly reply: Reply }
  /** Completions the outside wrote (Lambda's service): written as the actor's own, waking who waits on them. */
  | { readonly _tag: "Observe"; readonly events: ReadonlyArray<NewEvent>; readonly due: ReadonlyArray<string>; readonly reply: Reply }
  | {
    readonly _tag: "CompleteCallback"
    readonly operationId: string
    readonly callbackId: string
    readonly outcome: CallbackOutcome
    readonly reply: Reply
    /** Set when the handler went idle without reaching the callback: completed with no payload check. */
    readonly unchecked?: boolean
  }
  | { readonly _tag: "Heartbeat"; readonly operationId: string; readonly callbackId: string; readonly reply: Reply }
  | { readonly _tag: "Stop"; readonly error: ErrorObject | undefined; readonly reply: Reply }
  | { readonly _tag: "Pause"; readonly reply: Reply }
  | { readonly _tag: "Resume"; readonly reply: Reply }
  /** An operator's request to delete the ended execution now, as its retention would (actor-alarm.ts `deleteNow`). */
  | { readonly _tag: "Delete"; readonly reply: Reply }
  /** `seen`: the actor's activations when the sender saw it idle; refused if it went on since (actor-alarm.ts). */
  | { readonly _tag: "Suspend"; readonly reply: Reply; readonly seen?: number }
  /** A development aid: a pending wait succeeds now rather than at its time. */
  | { readonly _tag: "FireTimer"; readonly operationId: string; readonly reply: Reply }
  | { readonly _tag: "ChildFinished"; readonly operationId: string; readonly outcome: ChildOutcome; readonly reply: Reply }
  /** The ended execution's parent has had its outcome (or the attempt to tell it is over): retention's alarm. */
  | { readonly _tag: "ParentTold" }
  | { readonly _tag: "HandlerDone"; readonly exit: { ok: true; value: unknown } | { ok: false; error: unknown } }
  | { readonly _tag: "Fail"; readonly error: Error }

import type { FlowSlot } from "./flow-slots.ts"

export interface ActorDeps {
  readonly fn: DurableFunction
  readonly store: ExecutionStoreShape
  readonly clock: Clock.Clock
  readonly random: Random.Random
  /** Where callback tokens come from (Web Crypto, see secure-random.ts). */
  readonly secureRandom: SecureRandomShape
  readonly callbackIds: CallbackIdCodec
  readonly maxPayloadBytes: number
  /** The largest serialised result the execution may end with (EngineOptions.maxResultBytes). */
  readonly maxResultBytes: number
  /** An operation's error as the store will keep it (EngineOptions.fitError). */
  readonly fitError?: ((error: ErrorObject, operation: OperationRef) => ErrorObject) | undefined
  /** The invocation running the handler (EngineOptions.invocation). */
  readonly invocation?: InvocationInfo | undefined
  /** How `ctx.fetch` sends requests (EngineOptions.fetch). */
  readonly fetch?: FetchTransport | undefined
  /** False where the store cannot keep PatchMarked events (Lambda's service): `ctx.patched` then fails. */
  readonly keepsPatchMarkers: boolean
  /** Whether to log the execution's life at this level as its events are written (lifecycle-log.ts). */
  readonly logs: (level: LifecycleLine["level"]) => boolean
  /** The lowest level the default `ctx.logger` writes (UserLogLevel). */
  readonly userLogLevel: DefaultLoggerLevel
  /** The alarm the store held when the log was loaded. */
  readonly alarmAt: number | undefined
  /**
   * Loaded for a message that comes before any user code (a stop, a pause): the handler starts once the first
   * batch of messages is handled, not at once, so that the replay does not begin a step the message forbids.
   */
  readonly handlerAfterFirstMessage?: boolean | undefined
  /** The watchdog the start wrote with ExecutionStarted (so the actor does not write it again). */
  readonly watchdogAt?: number
  readonly onInvocation: () => void
  /** The function's concurrency slot under flow control (flow-slots.ts): held while user code runs. */
  readonly slot?: FlowSlot | undefined
  /** Step-level limits (step-limits.ts, step-limits-shared.ts, or EngineOptions.externalFlow's). */
  readonly stepLimit?: ((key: string, limit: number, wanted: () => boolean) => Promise<() => void>) | undefined
  /** The host shuts down (Engine.drain): no new step attempt begins. */
  readonly draining?: (() => boolean) | undefined
  /** A step body starts (EngineOptions.onStepBody). */
  readonly onStepBody?: ((step: { readonly id: string; readonly name?: string | undefined }) => void) | undefined
  /** The execution ended (or, told again by its alarm, its parent was not told yet): the engine tells whom it concerns. */
  readonly onTerminal: (state: ExecutionState) => void
  /** An invoke operation is STARTED: make sure its child execution exists (idempotent). */
  readonly onInvoke: (operation: OperationState) => void
  readonly onGone: () => void
  /** Events were written (as the store returned them): for the engine's watchers. */
  readonly onWritten: (events: ReadonlyArray<LogEvent>) => void
  /** Whether the execution's trace is sampled (the observer's decision): its steps' traceparents say it. */
  readonly sampled: (state: ExecutionState) => boolean
  /** `ctx.continueAsNew` (Session.continueAsNew): starts the next run, then ends this one (continue-as-new.ts). */
  readonly continueAsNew: (session: Session, input: string | undefined) => Promise<void>
}

export const refOf = (op: OperationState) => ({
  id: op.id,
  ...(op.parentId === undefined ? {} : { parentId: op.parentId }),
  ...(op.name === undefined ? {} : { name: op.name }),
  type: op.type,
  subType: op.subType
})

export const tooLarge = (payload: string, limit: number) =>
  payload.length * 3 > limit && new TextEncoder().encode(payload).length > limit
export type CompleteCallbackMessage = Extract<Message, { _tag: "CompleteCallback" }>
