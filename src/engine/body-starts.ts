/**
 * A body's start on a first run: the callers of its context's operations written within its first rounds of
 * microtasks wait for their end, as a replay gives the start its rounds before any turn goes (replay-order.ts
 * `bodyStarted`). Else a lane that awaits a little plain work before its first call (`await helper()`) took its id
 * after another lane's continuation on the first run (a write answers in 12-20 rounds here) and before it on replay.
 *
 * Each body has its own window (a map's items start all the time: one window for all kept every item's caller
 * waiting, 12% on the map bench). Callers written in a context while its held ones are let go go after them; a
 * child's caller in a context whose window is open or whose callers are held waits too (write-releases.ts `holding`).
 * The last one let go opens its rounds there, so what it appends joins the write the actor holds meanwhile
 * (`holdingAny`). A body of sequential code pays the window's chain of microtasks and, when its first write answers
 * within it, one chain of rounds more.
 */
import { realQueueMicrotask } from "../context/real-timers.ts"

/** Rounds of microtasks a body's start gets (as SETTLE_ROUNDS in replay-order.ts). */
const START_ROUNDS = 32

interface Held {
  readonly id: string
  readonly resolve: () => void
}

interface Start {
  readonly context: string
  /** The round at which its window closes. */
  readonly endsAt: number
}

export class BodyStarts {
  /** Open windows, in the order they opened (and so close). */
  readonly #open: Array<Start> = []
  #round = 0
  /**
   * Callers held, by context, in the order written: those written within its window, then those written while they
   * are let go (a later caller there goes after them, as its end comes after theirs in the log).
   */
  readonly #held = new Map<string, Array<Held>>()
  /** Contexts whose held callers are being let go. */
  readonly #lettingGo = new Set<string>()
  /**
   * Lets a held caller go (write-releases.ts): the last held in its context (`last`) opens its rounds there (those
   * before it have theirs here) and lets what waited behind them go.
   */
  readonly #release: (id: string, resolve: () => void, last: boolean) => void

  /** A window closed with no caller held in its context: a child's caller waiting for it may go (write-releases.ts). */
  readonly #closed: () => void

  constructor(release: (id: string, resolve: () => void, last: boolean) => void, closed: () => void) {
    this.#release = release
    this.#closed = closed
  }

  /** The body of context `context` begins. */
  started(context: string): void {
    const open = this.#open
    open.push({ context, endsAt: this.#round + START_ROUNDS })
    if (open.length === 1) realQueueMicrotask(this.#tick)
  }

  /** Whether a window is open or callers are held (callers are checked only then). */
  get any(): boolean {
    return this.#open.length > 0 || this.#held.size > 0
  }

  /**
   * Holds the caller of operation `id` (in `context`) when that context's window is open or callers there are held;
   * false when it may go on.
   */
  hold(context: string, id: string, resolve: () => void): boolean {
    const held = this.#held.get(context)
    if (held !== undefined) {
      held.push({ id, resolve })
      return true
    }
    const open = this.#open
    for (let i = open.length - 1; i >= 0; i--) {
      if (open[i]!.context !== context) continue
      this.#held.set(context, [{ id, resolve }])
      return true
    }
    return false
  }

  /** Whether any caller is held (the actor holds its next write meanwhile: write-releases.ts `pacing`). */
  get holdingAny(): boolean {
    return this.#held.size > 0
  }

  /**
   * Whether a caller in `context` is held or its window is open: a child's caller there waits (its outcome comes
   * after in the log, and a replay lets its end go only after the start's rounds).
   */
  holding(context: string): boolean {
    return (this.#held.size > 0 && this.#held.has(context)) || (this.#open.length > 0 && this.#stillOpen(context))
  }

  readonly #tick = (): void => {
    const round = ++this.#round
    const open = this.#open
    while (open.length > 0 && open[0]!.endsAt <= round) {
      const { context } = open.shift()!
      if (this.#stillOpen(context) || this.#lettingGo.has(context)) continue
      if (this.#held.has(context)) this.#letGo(context)
      else this.#closed()
    }
    if (open.length > 0) realQueueMicrotask(this.#tick)
  }

  #stillOpen(context: string): boolean {
    for (const start of this.#open) if (start.context === context) return true
    return false
  }

  /**
   * Lets a context's held callers go: the first at once, each next after the rounds of the one before, as a replay
   * paces them.
   */
  #letGo(context: string): void {
    const held = this.#held.get(context)!
    this.#lettingGo.add(context) // a second window of the context (none is known) adds to this chain, not another
    let left = 0
    const next = (): void => {
      if (left > 0) {
        left--
        return realQueueMicrotask(next)
      }
      const { id, resolve } = held.shift()!
      if (held.length === 0) {
        this.#held.delete(context)
        this.#lettingGo.delete(context)
      }
      this.#release(id, resolve, held.length === 0)
      if (held.length > 0) {
        left = START_ROUNDS
        realQueueMicrotask(next)
      }
    }
    next()
  }
}
