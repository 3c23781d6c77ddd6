/**
 * The engine's operations that are one message to an execution's actor: an alarm, a callback's completion or
 * heartbeat, a stop, a pause, a resume, a fired timer, observed events. Each goes through `deliver` (engine.ts),
 * which loads the actor when it is not in memory; what answers "no such execution" is decided here.
 */
import { Effect } from "effect"
import type { ExecutionState } from "../log/fold.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { Actor } from "./actor.ts"
import type { ActorGone, Message, Reply } from "./actor-messages.ts"
import type { CallbackIdCodec } from "./callback-ids.ts"
import { CallbackAlreadyCompleted, CallbackNotFound, ExecutionNotEnded, ExecutionNotFound, FunctionNotFound, ExecutionNotPaused, ExecutionNotRunning, InvalidRequest, type TimerNotPending } from "./engine-errors.ts"
import type { EngineShape } from "./engine-shape.ts"
import type { ReadFailure } from "./execution-client.ts"
import type { InvokerShape } from "./invoker.ts"
import { lastRun, nextRunId } from "./continue-as-new.ts"
import { isLiveStatus } from "./execution-view.ts"
import { checkedStopError } from "./stop-error.ts"
import { deleteWithDependents } from "./delete-dependents.ts"
import { stopChildren } from "./stop-children.ts"

/** How many times a stop follows a chain of continued runs that moves on under it. */
const MAX_CHAIN_HOPS = 50

/** Sends a message (engine.ts `deliver`): false when there is no such execution. */
export type Deliver = <E>(
  executionId: string,
  send: (actor: Actor) => Effect.Effect<void, E | ActorGone>,
  beforeUserCode?: (actor: Actor) => Effect.Effect<void, E | ActorGone>
) => Effect.Effect<boolean, Exclude<E, ActorGone> | LogCorrupted | StoreFailure>

export interface MessageDeps {
  readonly deliver: Deliver
  readonly callbackIds: CallbackIdCodec
  readonly maxPayloadBytes: number
  readonly stateOf: (executionId: string) => Effect.Effect<ExecutionState, ReadFailure>
  readonly invoker: () => InvokerShape
  /** Several hosts: whether this host may take the execution now (else its alarm is another host's). */
  readonly mayTake: (executionId: string) => Effect.Effect<boolean, StoreFailure>
  /** A stop of a QUEUED execution, which has no actor (flow-start.ts): true when it was one. */
  readonly stopQueued: (executionId: string, error: Parameters<EngineShape["stop"]>[1]) => Effect.Effect<boolean, ReadFailure>
  /** Whether a function of this name is registered here (a deploy may have removed it). */
  readonly registered: (functionName: string) => boolean
}

export type MessageOperations = Pick<
  EngineShape,
  "alarm" | "completeCallback" | "heartbeatCallback" | "stop" | "pause" | "fireTimer" | "resume" | "observe"
> & { readonly delete: NonNullable<EngineShape["delete"]> }

export const makeMessageOperations = (deps: MessageDeps): MessageOperations => {
  const { deliver, stateOf } = deps

  const callbackTarget = (callbackId: string) =>
    Effect.gen(function*() {
      const ref = yield* deps.callbackIds.decode(callbackId)
      if (ref === undefined) return yield* new CallbackNotFound({ callbackId })
      return ref
    })

  /** A pause or resume of an execution that has no actor: refused as not running when it is QUEUED. */
  const notRunningIfQueued = <E>(executionId: string, refused: (args: { executionId: string; status: string }) => E): Effect.Effect<never, ReadFailure | E> =>
    Effect.flatMap(stateOf(executionId), (state) =>
      Effect.fail(state.status === "QUEUED" ? refused({ executionId, status: "QUEUED" }) : new ExecutionNotFound({ executionId })))

  /** Stops one run: out of its queue, or through its actor. */
  const stopRun = (executionId: string, error: Parameters<EngineShape["stop"]>[1]) =>
    Effect.gen(function*() {
      if (yield* deps.stopQueued(executionId, error)) return
      const stop = (reply: Reply): Message => ({ _tag: "Stop", error, reply })
      const found = yield* deliver(executionId, (a) => a.send<ExecutionNotRunning>(stop), (a) => a.offerNow<ExecutionNotRunning>(stop))
      // No actor: a QUEUED execution another stop is taking out of its queue right now (its write not yet
      // committed), or one that has ended. Not running, as a second stop of a running one is told (it was 404).
      if (!found) return yield* Effect.flatMap(stateOf(executionId), (state) => Effect.fail(new ExecutionNotRunning({ executionId, status: state.status })))
    })

  const deleteOwn = (executionId: string) =>
    Effect.gen(function*() {
      const del = (reply: Reply): Message => ({ _tag: "Delete", reply })
      const found = yield* deliver(executionId, (a) => a.send<ExecutionNotEnded>(del), (a) => a.offerNow<ExecutionNotEnded>(del))
      if (!found) return yield* notRunningIfQueued(executionId, (args) => new ExecutionNotEnded(args))
    })
  const deleteExecution = (executionId: string): Effect.Effect<void, ReadFailure | ExecutionNotEnded> =>
    Effect.flatMap(stateOf(executionId), (state) => deleteWithDependents(state, deps.invoker().delete ?? deleteExecution, deleteOwn(executionId)))

  return {
    // An alarm is for the host that holds the execution; one held elsewhere is that host's (or, once its lease
    // lapses, the takeover sweep's: see reprise/postgres), and answered false so that nobody here moves it.
    alarm: (executionId) =>
      Effect.flatMap(deps.mayTake(executionId), (mine) =>
        mine ? Effect.as(deliver(executionId, (a) => a.send<never>((reply) => ({ _tag: "Alarm", reply }))), true) : Effect.succeed(false)),
    completeCallback: (callbackId, outcome) =>
      Effect.gen(function*() {
        const ref = yield* callbackTarget(callbackId)
        const found = yield* deliver(ref.executionId, (a) =>
          a.send<CallbackNotFound | CallbackAlreadyCompleted | ExecutionNotRunning | InvalidRequest>((reply) => ({
            _tag: "CompleteCallback",
            operationId: ref.operationId,
            callbackId,
            outcome,
            reply
          })))
        if (!found) return yield* new CallbackNotFound({ callbackId })
      }),
    heartbeatCallback: (callbackId) =>
      Effect.gen(function*() {
        const ref = yield* callbackTarget(callbackId)
        const found = yield* deliver(ref.executionId, (a) =>
          a.send<CallbackNotFound | CallbackAlreadyCompleted | ExecutionNotRunning>((reply) => ({ _tag: "Heartbeat", operationId: ref.operationId, callbackId, reply })))
        if (!found) return yield* new CallbackNotFound({ callbackId })
      }),
    stop: (stopped, error, stopOptions) =>
      Effect.gen(function*() {
        yield* checkedStopError(error, deps.maxPayloadBytes)
        // A run that continued as new is over: the stop goes to the run that carries the execution on. A chain of
        // short runs moves on while the stop is on its way: the run it reached continued meanwhile, so it follows
        // the chain again (the API probe: such a chain could not be stopped).
        let stoppedOne = false
        for (let hops = 0; ; hops++) {
          const executionId = (yield* lastRun(stopped, stateOf)).executionId
          const outcome = yield* Effect.result(stopRun(executionId, error))
          if (outcome._tag === "Success") {
            stoppedOne = true
            if (stopOptions?.children !== false) yield* stopChildren(deps.invoker(), yield* stateOf(executionId))
            // It may have started its next run just before the stop reached it (the start comes before the
            // continue is written): that run is the chain's now, and is stopped too.
            const next = yield* Effect.orElseSucceed(stateOf(nextRunId(executionId)), () => undefined)
            if (next === undefined || next.continuedFrom !== executionId || !isLiveStatus(next.status) || hops >= MAX_CHAIN_HOPS) return
            stopped = next.executionId
            continue
          }
          const failure = outcome.failure
          if (failure._tag === "ExecutionNotRunning" && failure.status === "CONTINUED_AS_NEW" && hops < MAX_CHAIN_HOPS) continue
          // A next run that ended (its own start saw the stop and stopped it) after this stop stopped one: done.
          if (stoppedOne && failure._tag === "ExecutionNotRunning") return
          return yield* Effect.fail(failure)
        }
      }),
    pause: (executionId) =>
      Effect.gen(function*() {
        const pause = (reply: Reply): Message => ({ _tag: "Pause", reply })
        const found = yield* deliver(executionId, (a) => a.send<ExecutionNotRunning>(pause), (a) => a.offerNow<ExecutionNotRunning>(pause))
        if (!found) return yield* notRunningIfQueued(executionId, (args) => new ExecutionNotRunning(args))
      }),
    fireTimer: (executionId, operationId) =>
      Effect.flatMap(deliver(executionId, (a) => a.send<TimerNotPending>((reply) => ({ _tag: "FireTimer", operationId, reply }))), (found) =>
        found ? Effect.void : Effect.fail(new ExecutionNotFound({ executionId }))),
    resume: (executionId) =>
      Effect.gen(function*() {
        // Its function removed by a deploy: the execution stays paused (a stop still ends it) rather than go on
        // with no code to run.
        const { functionName } = yield* stateOf(executionId)
        if (!deps.registered(functionName)) return yield* Effect.die(new FunctionNotFound({ functionName }))
        const found = yield* deliver(executionId, (a) => a.send<ExecutionNotPaused>((reply) => ({ _tag: "Resume", reply })))
        if (!found) return yield* notRunningIfQueued(executionId, (args) => new ExecutionNotPaused(args))
      }),
    // Through the actor, as retention's alarm: serialized with whatever else reaches the execution, and the actor goes.
    // Loaded as a stop is (before user code), so that an execution of a function since removed can be deleted too.
    // Its children and its chain's later runs first (delete-dependents.ts), each where it lives: through the invoker
    // where children run elsewhere (Workers), else through this engine.
    delete: deleteExecution,
    observe: (executionId, events, due = []) =>
      Effect.asVoid(deliver(executionId, (a) => a.send<never>((reply) => ({ _tag: "Observe", events, due, reply }))))
  }
}
