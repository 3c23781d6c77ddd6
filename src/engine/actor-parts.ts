/**
 * The parts of one actor that its pieces share (actor.ts builds them once): the Session (actor-session.ts), the
 * write path (actor-writes.ts), the timers (actor-alarm.ts), the handler's run (handler-run.ts) and the handling of
 * messages (actor-handle.ts) each read a narrow `Pick` of it, so what each may touch is written down.
 */
import type { Cause, Effect } from "effect"
import type { NewEvent } from "../log/events.ts"
import type { ExecutionState } from "../log/fold.ts"
import type { ActorActivity } from "./actor-activity.ts"
import type { ActorAlarm } from "./actor-alarm.ts"
import type { ActorDeps, Message, Reply, StoreError } from "./actor-messages.ts"
import type { CallbackGate } from "./callback-gate.ts"
import type { OperationWaiters } from "./operation-waiters.ts"
import type { PauseHold } from "./pause-hold.ts"
import type { SlotRelease } from "./slot-release.ts"
import type { StopRequestWaiters } from "./stop-request.ts"

export interface ActorParts {
  readonly executionId: string
  readonly state: ExecutionState
  readonly deps: ActorDeps
  /** This incarnation of the actor is gone (evicted, crashed): nothing asked of it will happen. */
  readonly gone: boolean
  /** Aborted once the execution is stopped: the step bodies still running see it in their signal. */
  readonly stopped: AbortSignal
  /** Aborted once this incarnation is gone (Session.left). */
  readonly left: AbortSignal
  readonly activity: ActorActivity
  /** What user code waits on (whenChanged, markAwaited). */
  readonly waiters: OperationWaiters
  /** Operation timers, the store's alarm and the watchdog. */
  readonly alarm: ActorAlarm
  /** User code and the handler's outcome held while the execution is paused. */
  readonly pause: PauseHold
  /** Sagas waiting for a stop request (saga.ts). */
  readonly stopWaiters: StopRequestWaiters
  readonly callbackGate: CallbackGate
  readonly slotRelease: SlotRelease
  /** The execution's clock. */
  now(): number
  /** Puts a message in the mailbox. */
  offer(message: Message): void
  /** User code runs again: the watchdog comes back at the next write. */
  activate(): void
  /** Starts the handler, once per incarnation, and not while the execution is paused (its resume starts it). */
  startHandler(): void
  /** Queues events written by the actor itself, for the next write. */
  queue(events: ReadonlyArray<NewEvent>): void
  /** Writes what is pending in one conditional append (actor-writes.ts). */
  flush(): Effect.Effect<void>
  /** Replies once the message's events are durable; with what stopped the actor if it stopped meanwhile. */
  written(reply: Reply): Effect.Effect<void>
  /** A write ended the execution. */
  ended(): void
  /** The actor goes; its senders resend to a fresh one. */
  evict(): void
  /** The store failed: the actor logs why, with the cause, and stops. */
  stop(message: string, cause: Cause.Cause<StoreError>): Effect.Effect<void>
}
