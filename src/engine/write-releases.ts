/**
 * The order in which user code goes on after its writes on a first run: the order a replay will give it.
 *
 * A replay settles recorded operations in the order the log holds their ends, and gives each one's continuation rounds
 * of microtasks to make its next call before the next goes (replay-order.ts). On a first run, an append's caller goes
 * on when its write is durable, but a child context's outcome is queued, not awaited (child-context.ts): its caller
 * would go on as soon as the appends before its outcome were written, in a race with their callers, and a later
 * append's caller could pass it. Whoever won took the next id; when that was not the one the log holds first, the
 * replay failed as non-deterministic (the replay fuzz, test/context/replay-order-fuzz.test.ts).
 *
 * So while a child context runs, callers are released in the order of the log: a child's caller after the appends
 * before its outcome were written and their callers had their rounds; an append offered after a waiting child's
 * outcome after that child's caller had its rounds. Appends in one write still go together (a replay paces them: the
 * log does not say which ends shared a write). Code without a child context pays nothing: no queue, no rounds.
 */
import { realQueueMicrotask } from "../context/real-timers.ts"

/** Rounds of microtasks a released caller gets to make its next call (as SETTLE_ROUNDS in replay-order.ts). */
const SETTLE_ROUNDS = 32

interface Release {
  /** An append's number, or for a child's caller the number of appends offered before its outcome. */
  readonly upTo: number
  /**
   * An append's caller, a child context's, or a batch item's (which waits for the appends before its outcome, not for
   * other callers' rounds).
   */
  readonly kind: "append" | "child" | "item"
  /** The operation: the child's, or the one the append wrote (set with `resolve`). */
  id: string | undefined
  /** An append's is set once it is written (`written`). */
  resolve: (() => void) | undefined
}

export class WriteReleases {
  #offered = 0
  #written = 0
  /** Child contexts whose caller has not gone on (`childRunning`). */
  #children = 0
  /** Releases held back, in the order of the log; undefined when none is. */
  #queue: Array<Release> | undefined
  /** Open for SETTLE_ROUNDS rounds after a release made while a child context ran. */
  #settling: Promise<void> | undefined
  /** The operations whose callers were released while `#settling` was open (undefined: not an operation's). */
  #released: Array<string | undefined> = []
  #draining = false

  /** An append is offered: its number, for `written`. */
  offered(): number {
    const n = ++this.#offered
    this.#queue?.push({ upTo: n, kind: "append", id: undefined, resolve: undefined })
    return n
  }

  /**
   * Append `n` is written (appends are written in the order offered): its caller goes on now or at its turn.
   * `id` is the operation it wrote.
   */
  written(n: number, resolve: () => void, id: string | undefined): void {
    this.#written = n
    const queue = this.#queue
    if (queue !== undefined) {
      for (let i = 0; i < queue.length; i++) {
        const release = queue[i]!
        if (release.upTo === n && release.kind === "append") {
          release.resolve = resolve
          release.id = id
          return this.#drain()
        }
      }
    }
    // Offered before any child's caller waited: ahead of every held release.
    resolve()
    if (this.#children === 0 && this.#queue === undefined) return
    this.#settle(id)
    this.#drain()
  }

  /**
   * What the caller of child context `id` awaits after queueing its outcome: undefined when it may go on at once (every
   * append written, and no caller but the child's own released within the rounds), else a promise resolved at its turn.
   * A batch item's caller is the batch's own loop, whose next ids do not depend on when it goes on (items begin in
   * the order of their index): it does not wait for rounds, which would pace a map's items one by one.
   */
  whenEarlierWritten(id: string, item: boolean): Promise<void> | undefined {
    if (this.#queue === undefined && this.#written === this.#offered && (item || !this.#othersSettling(id))) return undefined
    return new Promise((resolve) => {
      ;(this.#queue ??= []).push({ upTo: this.#offered, kind: item ? "item" : "child", id, resolve })
      this.#drain()
    })
  }

  /** A child context's body begins (1) or its caller goes on (-1). */
  childRunning(delta: 1 | -1): void {
    this.#children += delta
  }

  #drain(): void {
    const queue = this.#queue
    if (this.#draining || queue === undefined) return
    while (queue.length > 0) {
      const head = queue[0]!
      const { kind, id } = head
      if (kind === "append" ? head.resolve === undefined : this.#written < head.upTo) return
      const settling = this.#settling
      // A child's caller waits for other callers' rounds, not for those of its own operations (its own code, which
      // queued the outcome: a context run after another would cost a write of its own). An append's waits for all.
      if (settling !== undefined && (kind === "append" || (kind === "child" && this.#othersSettling(id!)))) {
        this.#draining = true
        settling.then(() => {
          this.#draining = false
          this.#drain()
        })
        return
      }
      queue.shift()
      head.resolve!()
      if (kind !== "item") this.#settle(id)
    }
    this.#queue = undefined
  }

  /** True while the rounds are open for a caller released outside child context `id` (not it, nor within it). */
  #othersSettling(id: string): boolean {
    if (this.#settling === undefined) return false
    const within = `${id}-`
    for (const released of this.#released) {
      if (released === undefined || (released !== id && !released.startsWith(within))) return true
    }
    return false
  }

  /** Opens the rounds after a release (each release restarts them: the last released caller gets its own). */
  #settle(id: string | undefined): void {
    let resolve!: () => void
    const settling = new Promise<void>((r) => (resolve = r))
    if (this.#settling === undefined) this.#released = []
    this.#released.push(id)
    this.#settling = settling
    let left = SETTLE_ROUNDS
    const round = () => {
      if (--left > 0) return realQueueMicrotask(round)
      if (this.#settling === settling) this.#settling = undefined
      resolve()
    }
    realQueueMicrotask(round)
  }
}
