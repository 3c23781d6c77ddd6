/**
 * The handler's run in an actor: started over the actor's Session (or the function's own driver), and its
 * outcome written once it returns, unless a stop was requested or the execution is paused (then held until
 * `ExecutionResumed` is written, with the user code the pause holds).
 */
import { DurableContextImpl } from "../context/durable-context.ts"
import type { Session } from "../context/session.ts"
import { runOwned } from "../context/usage-tracker.ts"
import type { Message } from "./actor-messages.ts"
import type { ActorParts } from "./actor-parts.ts"
import { type HandlerExit, outcomeEvent } from "./execution-outcome.ts"
import { handlerInput } from "./handler-input.ts"
import { isUnregistered } from "./unregistered-function.ts"

/** What the handler's run reads and asks of its actor. */
export type HandlerHost = Pick<ActorParts, "state" | "deps" | "gone" | "pause" | "offer" | "activate" | "queue" | "startHandler">

/**
 * When an actor starts its handler: once, and not while the execution is paused. A paused execution loaded from
 * the store runs no user code until it is resumed: its replay could fail it (code deployed meanwhile that no longer
 * replays its log), and a pause must not end an execution. The stand-in of a function no longer registered
 * (unregistered-function.ts) never runs: the actor leaves memory instead.
 */
export class HandlerStart {
  #started = false

  /** Loaded while paused: the handler waits for the resume (so the actor counts as blocked). */
  waitsForResume(state: { readonly paused?: boolean | undefined }): boolean {
    return state.paused === true && !this.#started
  }

  start(actor: HandlerHost, session: Session, leave: () => void): void {
    if (this.#started) return
    // The stand-in leaves once its message is handled, paused or not: nothing else may reach it (design.md §4).
    if (isUnregistered(actor.deps.fn)) return leave()
    if (actor.state.paused) return
    this.#started = true
    startHandler(actor, session)
  }
}

/** Starts the handler; its outcome comes back to the mailbox as HandlerDone (unless the actor is gone by then). */
const startHandler = (actor: HandlerHost, session: Session) => {
  actor.deps.onInvocation()
  actor.activate()
  const done = (exit: Extract<Message, { _tag: "HandlerDone" }>["exit"]) => {
    if (!actor.gone) actor.offer({ _tag: "HandlerDone", exit })
  }
  const { drive } = actor.deps.fn
  // A function with its own replay engine runs its driver over this Session (registry.ts ExecutionDriver).
  const run = drive !== undefined ? () => drive(session) : handlerRun(actor, session)
  Promise.resolve()
    .then(run)
    .then((value) => done({ ok: true, value }), (error) => done({ ok: false, error }))
}

/** The handler over a root context, built now (from the state as it is now), run when called. */
const handlerRun = (actor: HandlerHost, session: Session): () => Promise<unknown> => {
  const context = DurableContextImpl.root(session)
  const input = handlerInput(actor.state.input)
  return () => runOwned({ kind: "context", core: context.core, label: "the root context" }, () => actor.deps.fn.handler(input, context))
}

/** The handler returned: its outcome is queued for the next write. */
export const finishHandler = (actor: HandlerHost, exit: HandlerExit) => {
  const state = actor.state
  const running = state.status === "RUNNING"
  // A paused execution does not end either: its outcome is written on resume.
  if (state.paused) actor.pause.exit = exit
  else if (running && state.stopRequested !== undefined) {
    const { error } = state.stopRequested
    actor.queue([{ _tag: "ExecutionStopped", ...(error === undefined ? {} : { error }) }])
  } else if (running) actor.queue([outcomeEvent(exit, actor.deps.maxResultBytes)])
}

/** `ExecutionResumed` is written: held user code goes on, and a held outcome is queued. */
export const wakeResumed = (actor: HandlerHost) => {
  if (actor.state.paused) return
  const held = actor.pause.exit
  actor.pause.exit = undefined
  if (held !== undefined) finishHandler(actor, held)
  actor.pause.release()
  // Loaded while paused, it has not run its handler yet.
  if (actor.state.status === "RUNNING" && !actor.gone) actor.startHandler()
}
