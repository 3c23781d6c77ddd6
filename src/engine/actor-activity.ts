/**
 * Knowing when an actor is idle: no message queued or being handled, no user code (a step body) running, and
 * nothing changed across two event-loop turns. The test runner and the engine's `settle` wait on it.
 */

/** One turn of the event loop: setImmediate where the runtime has it (setTimeout(0) waits at least 1 ms in Node). */
const macrotask = (): Promise<void> =>
  new Promise((resolve) => {
    const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate
    if (immediate === undefined) setTimeout(resolve, 0)
    else immediate(resolve)
  })

export class ActorActivity {
  /** Messages offered and not yet taken. */
  inbox = 0
  /** Step bodies (and other user-facing async work) running. */
  userCode = 0
  /** A batch of messages is being handled. */
  processing = false
  #changes = 0
  /** Woken when user code ends: waiting sleeps on it instead of polling while a step body runs. */
  #onUserCodeExit: Array<() => void> = []

  /** Something happened: an idle wait in progress starts counting quiet turns again. */
  changed(): void {
    this.#changes++
  }

  enterUserCode(): void {
    this.userCode++
    this.#changes++
  }

  exitUserCode(): void {
    this.userCode--
    this.#changes++
    this.wake()
  }

  /** Nothing queued, nothing being handled, no user code. */
  get quiet(): boolean {
    return this.inbox === 0 && this.userCode === 0 && !this.processing
  }

  /** Wakes idle waits that sleep on user code (also when the execution ends or the actor goes). */
  wake(): void {
    if (this.#onUserCodeExit.length === 0) return
    const wake = this.#onUserCodeExit
    this.#onUserCodeExit = []
    for (const resolve of wake) resolve()
  }

  /**
   * Resolves once quiet for two event-loop turns in a row, or as soon as `over()` says nothing more can happen.
   * Fails after `maxMs` (a step body that never ends is a defect).
   */
  async whenIdle(over: () => boolean, what: string, maxMs = 60_000): Promise<void> {
    const startedAt = performance.now()
    const check = () => {
      if (performance.now() - startedAt > maxMs) throw new Error(`${what} was still busy after ${maxMs} ms (a step body that never ends?)`)
    }
    let quietTurns = 0
    while (quietTurns < 2) {
      if (over()) return
      if (this.userCode > 0) {
        // A step body runs (it may await I/O for minutes): sleep until one ends rather than spin on macrotasks.
        await this.#userCodeExit(maxMs - (performance.now() - startedAt))
        quietTurns = 0
        check()
        continue
      }
      const seen = this.#changes
      await macrotask()
      quietTurns = this.quiet && this.#changes === seen ? quietTurns + 1 : 0
      check()
    }
  }

  /** Resolves when user code ends (or `wake` is called), or after `withinMs`. */
  #userCodeExit(withinMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = () => {
        if (timer !== undefined) clearTimeout(timer)
        resolve()
      }
      this.#onUserCodeExit.push(done)
      if (Number.isFinite(withinMs)) timer = setTimeout(done, Math.max(0, withinMs) + 1)
    })
  }
}
