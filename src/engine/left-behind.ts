/**
 * Session.left: aborted once an actor goes (evicted, handed over, its scope closed) and no step body of it still
 * runs, since a body still running uses the services whose finalizers the interruption runs. reprise/effect
 * interrupts its fibers on it. No timer: a body that never ends keeps them.
 */
import type { ActorActivity } from "./actor-activity.ts"

export class LeftBehind {
  readonly #controller = new AbortController()
  #leaving = false

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** User code of `executionId` is abandoned here; idempotent. */
  leave(activity: ActorActivity, executionId: string): void {
    if (this.#leaving) return
    this.#leaving = true
    const abort = () => this.#controller.abort(new Error(`Execution ${executionId} left this host's memory; it goes on by replay`))
    if (activity.userCode === 0) abort()
    else void activity.whenUserCodeDone(Infinity).then(abort)
  }
}
