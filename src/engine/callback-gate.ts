/**
 * Callback payload checks (`createCallback(name, { schema })`): the schema lives in the handler's process, so a
 * success is checked only once the handler has reached its callback. Until then the completion is held; should the
 * handler go idle without reaching it (an abandoned callback, such as one in a map item cut off by its completion
 * policy), the completion goes through unchecked, as it did before callbacks had schemas.
 */
import { Deferred, Effect } from "effect"
import type { CallbackCheck } from "../context/session.ts"
import { ActorGone, type CompleteCallbackMessage } from "./actor-messages.ts"

export class CallbackGate {
  /** Callbacks the handler has reached, with their payload check. */
  readonly #checks = new Map<string, CallbackCheck | undefined>()
  /** Completions of callbacks the handler has not reached yet (a cold actor still replaying). */
  #held: Array<CompleteCallbackMessage> = []
  readonly #resend: (message: CompleteCallbackMessage) => void
  readonly #idle: () => Promise<void>
  readonly #waitsForResume: () => boolean

  /**
   * `resend` puts a message back in the mailbox; `idle` resolves once the handler can go no further;
   * `waitsForResume` is true while the handler has not started (loaded while paused: it runs on the resume).
   */
  constructor(resend: (message: CompleteCallbackMessage) => void, idle: () => Promise<void>, waitsForResume: () => boolean) {
    this.#resend = resend
    this.#idle = idle
    this.#waitsForResume = waitsForResume
  }

  /** The handler reached the callback: completions held for it go back to the mailbox. */
  reached(operationId: string, check: CallbackCheck | undefined): void {
    this.#checks.set(operationId, check)
    const ready = this.#held.filter((m) => m.operationId === operationId)
    if (ready.length === 0) return
    this.#held = this.#held.filter((m) => m.operationId !== operationId)
    for (const message of ready) this.#resend(message)
  }

  /**
   * "hold" (not reached yet: held here), "paused" (its check waits for the resume), a reason the payload is refused,
   * or undefined (it passes). `checked`: the callback's CallbackStarted says its result has a schema.
   */
  admit(message: CompleteCallbackMessage, checked: boolean): "hold" | "paused" | string | undefined {
    if (!message.outcome.ok || message.unchecked === true) return undefined
    if (!this.#checks.has(message.operationId)) {
      // Loaded while paused, the handler has not run and will not reach the callback before the resume: a result
      // with a schema is refused until then (nothing is written), any other is taken as it comes.
      if (this.#waitsForResume()) return checked ? "paused" : undefined
      this.#hold(message)
      return "hold"
    }
    return this.#checks.get(message.operationId)?.(message.outcome.result)
  }

  /** The actor is gone: held completions are sent again to a fresh one. */
  drop(): void {
    for (const message of this.#held) Deferred.doneUnsafe(message.reply, Effect.fail(new ActorGone()))
    this.#held = []
  }

  #hold(message: CompleteCallbackMessage) {
    this.#held.push(message)
    if (this.#held.length > 1) return
    void this.#idle().then(() => {
      const held = this.#held
      this.#held = []
      for (const waiting of held) this.#resend({ ...waiting, unchecked: true })
    })
  }
}
