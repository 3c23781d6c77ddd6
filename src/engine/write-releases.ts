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
 * So while a child context runs, callers are released in the order of the log. A child's caller goes on once the
 * appends before its outcome are written and the callers released before it in the same context (its rivals for the
 * next id there) have had their rounds; an append offered behind a waiting child goes on likewise. Children in
 * other contexts take ids from other counters and do not wait for each other. Code without a child context pays
 * nothing: no queue, no rounds.
 *
 * Appends written together would reach their callers together, and their continuations would take ids in the depth
 * of their promise chains (a caught failure is longer than a result); a replay settles them one at a time. So the
 * callers of one write go one at a time too, in the log's order, each with its rounds, whatever their operations'
 * contexts (a continuation may call in another context than its operation's: a branch awaiting a step begun before
 * the parallel), while the actor holds its next write (`pacing`): what they append meanwhile shares one write.
 *
 * A body's start (`bodyStarted`: the handler's, a child context's) gets its rounds too: callers written within them in
 * its context wait for their end (body-starts.ts).
 *
 * A caller released alone gets its rounds when another operation is under way (a step body runs, an append waits for
 * its write): on a store that answers within microtasks (the test runner's), that operation's end could land within
 * the continuation's microtasks and its caller pass it, while a replay makes it wait. A caller written alone while
 * rounds run is held until they end. Sequential code has nothing under way at its releases: no rounds.
 */
import { realQueueMicrotask } from "../context/real-timers.ts"
import type { NewEvent } from "../log/events.ts"
import { BodyStarts } from "./body-starts.ts"

/** Rounds of microtasks a released caller gets to make its next call (as SETTLE_ROUNDS in replay-order.ts). */
const SETTLE_ROUNDS = 32
/** Released operations remembered while rounds run; past it, every caller counts as a rival (a bound, not a cache). */
const MAX_TRACKED = 256

/** The operation an append writes (its events are one operation's); read only where a release is tracked. */
const operationOf = (events: ReadonlyArray<NewEvent>): string | undefined => {
  const first = events[0]
  return first !== undefined && "id" in first ? first.id : undefined
}

/** The context an operation takes its id in: its id without the last position ("" at the root). */
const contextOf = (id: string): string => {
  const dash = id.lastIndexOf("-")
  return dash < 0 ? "" : id.slice(0, dash)
}

interface Release {
  /** An append's number, or for a child's caller the number of appends offered before its outcome. */
  readonly upTo: number
  /**
   * An append's caller, a child context's, or a batch item's (which waits for the appends before its outcome, not for
   * other callers' rounds: its caller is the batch's loop, which begins items in the order of their index).
   */
  readonly kind: "append" | "child" | "item"
  /** The operation: the child's, or the one the append wrote (set with `resolve`). */
  id: string | undefined
  /** Operations whose callers are the child's own code (what a `ctx.promise` combinator awaits): not its rivals. */
  readonly owns: ReadonlyArray<string> | undefined
  /** An append's is set once it is written (`written`). */
  resolve: (() => void) | undefined
}

export class WriteReleases {
  /** Whether a step is under way: its body runs, or its outcome is not offered yet (actor-session.ts). */
  readonly #stepRunning: () => boolean
  constructor(stepRunning: () => boolean = () => false) {
    this.#stepRunning = stepRunning
  }

  #offered = 0
  #written = 0
  /**
   * Child contexts whose caller has not gone on (`childRunning`), by the context they take their ids in: only there
   * can one race the callers of a write (steps inside a child, beside no other, open no rounds: 12-20% a step).
   */
  readonly #children = new Map<string, number>()
  /** Releases held back, in the order of the log; undefined when none is. */
  #queue: Array<Release> | undefined
  /** Rounds left before the callers released last have had theirs; 0 when none run. */
  #roundsLeft = 0
  /** The operations released while the rounds run (undefined: not an operation's), and whether some were not kept. */
  readonly #released: Array<string | undefined> = []
  #overflow = false
  /** The queue's head waits for the rounds to end. */
  #waiting = false
  /** The first caller of the last write, released without rounds: opened if another caller of the write follows. */
  #lead: ReadonlyArray<NewEvent> | undefined
  /** Bodies that began within their start's rounds (body-starts.ts). */
  readonly #starts = new BodyStarts((id, resolve, last) => {
    resolve()
    if (!last) return
    // Its rounds (those before it had theirs in body-starts.ts): what it appends joins the write the actor holds for
    // them, and releases waiting behind it go after them. Without them when held alone, 4 of 6,000 fuzz runs failed.
    this.#settle(id)
    this.#drain()
  }, () => this.#drain())
  /** Resolved when no written caller waits for rounds any more (`pacing`). */
  #paced: Array<() => void> | undefined

  /**
   * While a written caller waits for others' rounds, a promise resolved once none does: the actor holds its next
   * write meanwhile, so the appends of callers paced one at a time share it. Never waits for an unwritten append
   * (which would wait for that write): rounds always end.
   */
  pacing(): Promise<void> | undefined {
    if (!this.#waiting && !this.#starts.holdingAny) return undefined
    return new Promise((resolve) => (this.#paced ??= []).push(resolve))
  }

  /** An append is offered: its number, for `written`. */
  offered(): number {
    const n = ++this.#offered
    this.#queue?.push({ upTo: n, kind: "append", id: undefined, owns: undefined, resolve: undefined })
    return n
  }

  /**
   * Append `n` (`events`) is written (appends are written in the order offered): its caller goes on now or at its
   * turn. `shared`: an earlier append of the same write was answered.
   */
  written(n: number, resolve: () => void, events: ReadonlyArray<NewEvent>, shared: boolean): void {
    this.#written = n
    const queue = this.#queue
    if (queue !== undefined) {
      for (let i = 0; i < queue.length; i++) {
        const release = queue[i]!
        if (release.upTo === n && release.kind === "append") {
          release.resolve = resolve
          release.id = operationOf(events)
          return this.#drain()
        }
      }
    }
    if (this.#starts.any) {
      // Written within a body's start, in its context: the body's other lanes may be about to make their first calls.
      const id = operationOf(events)
      if (id !== undefined && this.#starts.hold(contextOf(id), id, resolve)) {
        // A lead of this write released at once gets its rounds, so a later caller of the write goes after them.
        const lead = this.#lead
        this.#lead = undefined
        if (shared && lead !== undefined) this.#settle(operationOf(lead))
        return
      }
    }
    if (shared) return this.#writtenBeside(n, resolve, events)
    if (this.#roundsLeft > 0) {
      // Written alone while a caller released before has its rounds: its operation may have begun before that
      // release (another lane's step ending within the continuation's microtasks, on a store that answers within
      // them), and a replay lets it go only after those rounds.
      this.#lead = undefined
      return this.#hold(n, resolve, operationOf(events))
    }
    // Offered before any child's caller waited: ahead of every held release.
    resolve()
    if (this.#children.size === 0 && this.#queue === undefined) {
      if (this.#othersRunning(n)) {
        // Another lane's operation is under way (a step body running, an append not yet written): its end may come
        // within this continuation's microtasks, and must wait for them as on replay (above). Sequential code has
        // none and opens no rounds.
        this.#lead = undefined
        return this.#settle(operationOf(events))
      }
      this.#lead = events // its rounds open only if a caller of the same write follows
      return
    }
    this.#lead = undefined
    const id = operationOf(events)
    if (this.#queue === undefined && !this.#childBeside(id)) {
      this.#lead = events
      return
    }
    this.#settle(id)
    this.#drain()
  }

  /** A later caller of one write: after the callers before it, each with its rounds, as a replay lets them go. */
  #writtenBeside(n: number, resolve: () => void, events: ReadonlyArray<NewEvent>): void {
    const lead = this.#lead
    this.#lead = undefined
    if (lead !== undefined) {
      // Released at once as the first of its write: its rounds open now, before its continuation has run.
      this.#settle(operationOf(lead))
    }
    const id = operationOf(events)
    // Any caller released within the rounds is a rival, whatever its operation's context: a continuation may call in
    // another context than its operation's (a branch awaiting a step begun outside it), and a replay paces them all.
    if (this.#roundsLeft === 0) {
      resolve()
      this.#settle(id)
      return this.#drain()
    }
    this.#hold(n, resolve, id)
  }

  /**
   * Holds append `n`'s caller until its turn, and the appends offered after it (not in a queue) behind it. Ahead of
   * every release held, or for the callers of an end the actor wrote (`woken`, `n` the last append written) behind
   * those whose appends are written: their ends are earlier in the log.
   */
  #hold(n: number, resolve: () => void, id: string | undefined, woken = false): void {
    const queue = this.#queue
    let last = this.#offered
    if (queue !== undefined) for (const release of queue) if (release.kind === "append" && release.upTo > n && release.upTo <= last) last = release.upTo - 1
    const held: Array<Release> = [{ upTo: n, kind: "append", id, owns: undefined, resolve }]
    for (let m = n + 1; m <= last; m++) held.push({ upTo: m, kind: "append", id: undefined, owns: undefined, resolve: undefined })
    if (queue === undefined) this.#queue = held
    else {
      const at = woken ? queue.findIndex((release) => release.upTo > n) : 0
      queue.splice(at < 0 ? queue.length : at, 0, ...held)
    }
    this.#waiting = true // drained when the rounds end
  }

  /**
   * What the caller of child context `id` awaits after queueing its outcome: undefined when it may go on at once (every
   * append written, and no rival released within the rounds), else a promise resolved at its turn.
   */
  whenOutcomeTurn(id: string, item: boolean, owns?: ReadonlyArray<string>): Promise<void> | undefined {
    if (this.#queue === undefined && this.#written === this.#offered && (item || !this.#rivals(id, owns)) && !this.#starts.holding(contextOf(id))) {
      // Another child runs beside it, or a step body: its caller may be about to go on too, and a replay gives this
      // one its rounds first (two children that fail at once, called side by side; a step ending within this
      // continuation's microtasks). Sequential children open none.
      if (!item && ((this.#children.get(contextOf(id)) ?? 0) > 1 || this.#stepRunning())) this.#settle(id)
      return undefined
    }
    return new Promise((resolve) => {
      ;(this.#queue ??= []).push({ upTo: this.#offered, kind: item ? "item" : "child", id, owns, resolve })
      this.#drain()
    })
  }

  /**
   * The body of context `contextId` ("" for the handler) begins: its code gets rounds before the callers of its first
   * operations go on, as a replay gives it (replay-order.ts `bodyStarted`), so a lane that awaits a few microtasks
   * before its first call takes its id before a lane's continuation does, on both.
   */
  bodyStarted(contextId: string): void {
    this.#starts.started(contextId)
  }

  /** Child context `id` begins its body (1) or its caller goes on (-1). */
  childRunning(delta: 1 | -1, id: string): void {
    const context = contextOf(id)
    const count = (this.#children.get(context) ?? 0) + delta
    if (count > 0) this.#children.set(context, count)
    else this.#children.delete(context)
  }

  /**
   * The callers waiting on an end the actor wrote itself (a callback completed, a wait that fired) go on by `go`, now
   * or at their turn, as an append's callers do. `shared`: an earlier append of the same write was answered, whose
   * caller a replay lets go first, with its rounds. Rounds of their own always: another operation may end within
   * them (a step body that runs, an append offered and not written yet, another end the actor writes: two waits that
   * fire in one write, two callbacks completed back to back), and its caller, quicker to go on, would pass them.
   */
  woke(id: string, go: () => void, shared: boolean): void {
    const lead = this.#lead
    this.#lead = undefined
    if (shared && lead !== undefined) this.#settle(operationOf(lead))
    if (this.#roundsLeft > 0) return this.#hold(this.#written, go, id, true)
    go()
    this.#settle(id)
  }

  /** Whether another operation may end soon: a step body runs, or an append offered after `n` is not written. */
  #othersRunning(n: number): boolean {
    return this.#offered > n || this.#stepRunning()
  }

  /** Whether a child context runs in the context of operation `id` (any context, for a write of no operation). */
  #childBeside(id: string | undefined): boolean {
    const children = this.#children
    if (children.size === 0) return false
    return id === undefined || children.has(contextOf(id))
  }

  #drain(): void {
    const queue = this.#queue
    if (this.#waiting || queue === undefined) return
    while (queue.length > 0) {
      const head = queue[0]!
      const { kind, id } = head
      if (kind === "append" ? head.resolve === undefined : this.#written < head.upTo || this.#starts.holding(contextOf(id!))) return
      if (kind !== "item" && (kind === "append" ? this.#roundsLeft > 0 : this.#rivals(id, head.owns))) {
        this.#waiting = true // drained again when the rounds end
        return
      }
      queue.shift()
      head.resolve!()
      if (kind !== "item") this.#settle(id)
    }
    this.#queue = undefined
  }

  /**
   * True while the rounds run for a caller released in the context `id` takes its ids in, other than those `id`
   * owns: one that may still be about to call there. A child's own operations are in its context, not beside it, so
   * a context run after another costs no write of its own.
   */
  #rivals(id: string | undefined, owns: ReadonlyArray<string> | undefined): boolean {
    if (this.#roundsLeft === 0) return false
    if (this.#overflow || id === undefined) return true
    const context = contextOf(id)
    for (const released of this.#released) {
      if (released === undefined) return true
      if (released !== id && contextOf(released) === context && (owns === undefined || !owns.includes(released))) return true
    }
    return false
  }

  /** Opens the rounds after a release, or restarts them: the last released caller gets all of its own. */
  #settle(id: string | undefined): void {
    if (this.#released.length < MAX_TRACKED) this.#released.push(id)
    else this.#overflow = true
    const running = this.#roundsLeft > 0
    this.#roundsLeft = SETTLE_ROUNDS
    if (!running) realQueueMicrotask(this.#round)
  }

  /** One chain of microtasks for all the rounds (no promise unless someone waits). */
  readonly #round = (): void => {
    if (--this.#roundsLeft > 0) return realQueueMicrotask(this.#round)
    this.#released.length = 0
    this.#overflow = false
    this.#roundsOver()
  }

  /** The rounds ended: the queue goes on, and the actor's next write once nobody waits for rounds. */
  #roundsOver(): void {
    if (this.#waiting) {
      this.#waiting = false
      this.#drain()
    }
    this.#pacedOver()
  }

  /** The actor's next write goes once no written caller waits for rounds. */
  #pacedOver(): void {
    const paced = this.#paced
    if (paced !== undefined && !this.#waiting && this.#roundsLeft === 0 && !this.#starts.holdingAny) {
      this.#paced = undefined
      for (const resolve of paced) resolve()
    }
  }
}
