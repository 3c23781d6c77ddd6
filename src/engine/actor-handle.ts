/**
 * What the actor does with each message it takes from its mailbox (other than appends, which go to the write
 * path): what `decide` (actor-decisions.ts) says for an outside message, and the actor's own mechanics for the
 * rest (alarms, observations, suspend, resume, failures, the handler's end).
 */
import { Deferred, Effect } from "effect"
import { toErrorRecord } from "../context/error-story.ts"
import { NonDeterministicExecutionError } from "../context/errors.ts"
import { deleteNow, fireDue, syncAlarm, type TimersHost } from "./actor-alarm.ts"
import { type DecidedMessage, type Decision, decide } from "./actor-decisions.ts"
import { ExecutionNotEnded } from "./engine-errors.ts"
import { shownStatus } from "./execution-view.ts"
import type { Message } from "./actor-messages.ts"
import type { ActorParts } from "./actor-parts.ts"
import { finishHandler, type HandlerHost, wakeResumed } from "./handler-run.ts"
import { emitLines } from "./lifecycle-log.ts"

/** What handling a message reads and asks of the actor. */
export type HandleHost = TimersHost & HandlerHost & Pick<ActorParts, "callbackGate" | "flush" | "written" | "activity">

const running = (actor: HandleHost): boolean => actor.state.status === "RUNNING"

export const handle = (actor: HandleHost, message: Exclude<Message, { _tag: "Append" }>): Effect.Effect<void> => {
  switch (message._tag) {
    case "Alarm":
      actor.alarm.activate()
      // A fired alarm is used up on some stores (a Durable Object's): set it again even if the time is unchanged.
      actor.alarm.at = undefined
      if (!running(actor) && actor.alarm.tellingSince !== undefined) {
        // Ended, and the parent still not told (a process died while telling it): tell it again.
        actor.alarm.tellingSince = actor.now()
        actor.deps.onTerminal(actor.state)
      }
      // The reply comes after the alarm is moved: a host reads the alarm again to know the delivery took.
      return fireDue(actor).pipe(Effect.andThen(actor.flush()), Effect.andThen(syncAlarm(actor)), Effect.andThen(actor.written(message.reply)))
    case "Observe": {
      // Only completions of operations still open here: a repeated or stale observation changes nothing.
      const open = message.events.filter((e) => "id" in e && actor.state.operations.get(e.id)?.status === "STARTED")
      if (!running(actor)) return Deferred.succeed(message.reply, undefined)
      if (open.length > 0 || message.due.length > 0) actor.alarm.activate() // the outside let it go on
      for (const id of message.due) {
        const op = actor.state.operations.get(id)
        if (op?.status !== "PENDING") continue
        op.nextAttemptAt = Math.min(op.nextAttemptAt ?? 0, actor.now()) // the outside's clock said so: due now
        actor.alarm.track(op)
        actor.waiters.wake(id, actor.state)
      }
      if (open.length === 0) return Deferred.succeed(message.reply, undefined)
      actor.queue(open)
      return Effect.andThen(actor.flush(), actor.written(message.reply))
    }
    case "Suspend":
      // Stale when the execution went on since the sender saw it idle: its watchdog stays (actor-alarm.ts).
      // So is one while a step waits for its concurrency slot or its turn: it goes on once that comes, and needs its
      // watchdog.
      if ((actor.activity.waitsToGoOn && running(actor)) || !actor.alarm.suspend(message.seen)) return Deferred.succeed(message.reply, undefined)
      // The alarm falls back to the next timer before anyone acts on the reply (such as evicting the actor).
      return Effect.andThen(syncAlarm(actor), Deferred.succeed(message.reply, undefined))
    case "Resume": {
      const decision = decideFor(actor, message)
      if (decision._tag !== "Write") return carryOut(actor, message, decision)
      actor.queue(decision.events)
      actor.alarm.activate()
      // Written first: held user code goes on, then the timers that fell due meanwhile fire.
      return actor.flush().pipe(
        Effect.andThen(Effect.sync(() => wakeResumed(actor))),
        Effect.andThen(fireDue(actor)),
        Effect.andThen(actor.flush()),
        Effect.andThen(actor.written(message.reply))
      )
    }
    case "Stop":
    case "Pause":
    case "CompleteCallback":
    case "Heartbeat":
    case "FireTimer":
    case "ChildFinished":
      return carryOut(actor, message, decideFor(actor, message))
    case "Fail": {
      actor.queue([{ _tag: "ExecutionFailed", error: toErrorRecord(message.error) }])
      const error = message.error
      if (!actor.deps.logs("Error") || !(error instanceof NonDeterministicExecutionError)) return Effect.void
      return emitLines([{ level: "Error", message: `non-determinism: ${error.message}`, ...(error.operationId === undefined ? {} : { operationId: error.operationId }) }])
    }
    case "Delete":
      // Only an ended execution: a running or paused one is stopped first, so that no user code is cut off unrecorded.
      if (running(actor)) return Deferred.fail(message.reply, new ExecutionNotEnded({ executionId: actor.executionId, status: shownStatus(actor.state) }))
      // Nor while its parent is being told its outcome: a parent that reloads then would find no child, and start it anew.
      if (actor.alarm.tellingSince !== undefined && actor.state.parent !== undefined) {
        return Deferred.fail(message.reply, new ExecutionNotEnded({ executionId: actor.executionId, status: actor.state.status, parentNotTold: actor.state.parent.executionId }))
      }
      // Answered before the actor goes; a store that fails is the answer (nothing was deleted, or all may be tried again).
      return deleteNow(actor, Effect.andThen(
        actor.deps.logs("Info") ? emitLines([{ level: "Info", message: "deleted on request" }]) : Effect.void,
        Deferred.succeed(message.reply, undefined)
      )).pipe(Effect.catch((error) => Deferred.fail(message.reply, error)))
    case "ParentTold":
      return Effect.sync(() => void (actor.alarm.tellingSince = undefined)) // the batch's end moves the alarm
    case "HandlerDone":
      return Effect.sync(() => finishHandler(actor, message.exit))
  }
}

const decideFor = (actor: HandleHost, message: DecidedMessage): Decision =>
  decide(actor.state, message, {
    executionId: actor.executionId,
    running: running(actor),
    maxPayloadBytes: actor.deps.maxPayloadBytes,
    admit: (completion, checked) => actor.callbackGate.admit(completion, checked)
  })

/** Does what `decide` (actor-decisions.ts) said: refuse, answer, hold, or write and reply once it is durable. */
const carryOut = (actor: HandleHost, message: DecidedMessage, decision: Decision): Effect.Effect<void> => {
  switch (decision._tag) {
    case "Refuse":
      return Deferred.fail(message.reply, decision.error)
    case "Answer":
      return Deferred.succeed(message.reply, undefined)
    case "Hold":
      return Effect.void
    case "Write":
      actor.queue(decision.events)
      if (decision.activate) actor.alarm.activate()
      return Effect.andThen(actor.flush(), actor.written(message.reply))
  }
}
