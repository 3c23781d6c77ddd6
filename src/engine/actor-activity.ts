/**
 * Knowing when an actor is idle: no message queued or being handled, no user code (a step body) running, nothing
 * changed across an event-loop turn, and the handler blocked on durable operations (code waits on one that user
 * code has awaited, or it is held by a pause), unless the execution is over. So the end of an invocation follows the handler's own promise
 * and the durable operations it waits on: a handler that awaits a file read or a plain timer is not idle meanwhile
 * (a guess from quiet turns alone ended Lambda invocations early). The test runner, the engine's `settle` and the
 * Lambda adapter wait on it.
 */
import { macrotask, realClearTimeout, realNow, realSetTimeout, realSleep } from "../context/real-timers.ts"

const sleep = realSleep

export class ActorActivity {
  /** Messages offered and not yet taken. */
  inbox = 0
  /** Step bodies (and other user-facing async work) running. */
  userCode = 0
  /** A batch of messages is being handled. */
  processing = false
  /**
   * Steps waiting for their function's concurrency slot (flow control). The execution goes on by itself once one
   * frees, and only this actor knows that it waits: it is not suspended (its watchdog stays) nor evicted meanwhile.
   */
  slotWaits = 0
  /**
   * Step bodies waiting for their turn under a step limit. Likewise the execution goes on once one comes: it keeps
   * its watchdog and its concurrency slot (slot-then-turn cannot deadlock: a turn never waits for a slot), and stays
   * in memory, or the body would wait for whatever loads it next (a wait due in an hour).
   */
  turnWaits = 0
  #changes = 0
  /** Woken when user code ends: waiting sleeps on it instead of polling while a step body runs. */
  #onUserCodeExit: Array<() => void> = []

  /** A step waits for its slot or its turn: it goes on by itself once that comes. */
  get waitsToGoOn(): boolean {
    return this.slotWaits > 0 || this.turnWaits > 0
  }

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
   * Resolves once quiet across an event-loop turn while `blocked()` (user code waits on durable operations only),
   * or as soon as `over()` says nothing more can happen. Fails after `maxMs` (user code that never ends is a defect).
   */
  async whenIdle(over: () => boolean, blocked: () => boolean, what: string, maxMs = 60_000): Promise<void> {
    const startedAt = realNow()
    const check = () => {
      if (realNow() - startedAt > maxMs) throw new Error(`${what} was still busy after ${maxMs} ms (user code that never ends?)`)
    }
    let quietTurns = 0
    for (;;) {
      if (over()) return
      if (this.userCode > 0) {
        // A step body runs (it may await I/O for minutes): sleep until one ends rather than spin on macrotasks.
        await this.#userCodeExit(maxMs - (realNow() - startedAt))
        quietTurns = 0
        check()
        continue
      }
      const seen = this.#changes
      // Quiet but not blocked: the handler awaits something that is not durable (a file, a timer). Back off
      // (up to 20 ms a turn) rather than spin on macrotasks while it does.
      await (quietTurns < 3 ? macrotask() : sleep(Math.min(20, 2 ** (quietTurns - 3))))
      const quiet = this.quiet && this.#changes === seen
      if (quiet && blocked()) return
      quietTurns = quiet ? quietTurns + 1 : 0
      check()
    }
  }

  /** Resolves once no user code runs (step bodies a stop abandoned included), or after `maxMs`. */
  async whenUserCodeDone(maxMs: number): Promise<void> {
    const until = realNow() + maxMs
    while (this.userCode > 0 && realNow() < until) await this.#userCodeExit(until - realNow())
  }

  /** Resolves when user code ends (or `wake` is called), or after `withinMs`. */
  #userCodeExit(withinMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = () => {
        if (timer !== undefined) realClearTimeout(timer)
        resolve()
      }
      this.#onUserCodeExit.push(done)
      if (Number.isFinite(withinMs)) timer = realSetTimeout(done, Math.max(0, withinMs) + 1)
    })
  }
}
