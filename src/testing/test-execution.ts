/** A test's handle on one execution: its outcome, its operations and history, and ways to steer it. */
import { CallbackAlreadyCompleted, ExecutionNotRunning, InvalidRequest } from "../engine/engine-errors.ts"
import type { ErrorObject, LogEvent } from "../log/events.ts"
import type { ExecutionStatus, OperationState } from "../log/fold.ts"
import { type Duration, durationToMillis } from "../context/duration.ts"
import { type Emission, emissionsOf } from "../context/emit.ts"
import { dueAt } from "../engine/timers.ts"
import type { CheckpointCrashes } from "./checkpoint-crashes.ts"
import { longDriveWatch, loopAdvice, settleSaying } from "./slow-settle.ts"
import type { CallbackResponder, TestRunner } from "./test-runner.ts"
import { parsedInput } from "../engine/flow-keys.ts"
import { callbacksOf, ExecutionNotSucceeded, strayResponders, waitingOn } from "./not-succeeded.ts"
import { TestOperation } from "./test-operation.ts"
import { callbackError, replyOutcome } from "./callback-reply.ts"

export interface SettleOptions {
  /** Skip the clock through pending callbacks' timeouts too, timing them out (default false; `runner.run` sets it). */
  readonly skipCallbackTimeouts?: boolean
}

/** Bounds the drive loop: each round skips to a timer or answers a callback. */
export const MAX_ROUNDS = 100_000
/** How often a test's callback completion is sent in crash mode before its failure is the answer. */
const CRASHED_COMPLETION_TRIES = 100

/** A Duration, or milliseconds: a number that is not finite or is negative is the test's mistake, said as such. */
export const toMillis = (duration: Duration | number, what = "advanceTime"): number => {
  if (typeof duration !== "number") return durationToMillis(duration)
  if (!Number.isFinite(duration) || duration < 0) throw new TypeError(`${what} takes a Duration or milliseconds (a finite number, 0 or more): got ${duration}`)
  return duration
}

export class TestExecution {
  #status: ExecutionStatus = "RUNNING"
  #result: string | undefined
  #error: ErrorObject | undefined
  #continuedAs: string | undefined
  #continuedFrom: string | undefined
  #operations: ReadonlyArray<OperationState> = []
  #history: ReadonlyArray<LogEvent> = []
  readonly #answered = new Set<string>()

  readonly executionId: string
  private readonly runner: TestRunner
  private readonly responders: Readonly<Record<string, CallbackResponder>>

  constructor(runner: TestRunner, executionId: string, responders: Readonly<Record<string, CallbackResponder>>) {
    this.runner = runner
    this.executionId = executionId
    this.responders = responders
  }

  get status(): ExecutionStatus { return this.#status }
  /** The handler's return value (JSON-parsed). */
  get result(): unknown { return parsedInput(this.#result) }
  get error(): ErrorObject | undefined { return this.#error }
  /** The result of an execution that SUCCEEDED; else throws an ExecutionNotSucceeded telling its status and error. */
  expectSucceeded(): unknown {
    if (this.#status !== "SUCCEEDED") {
      const notes = strayResponders(Object.keys(this.responders), this.#operations)
      throw new ExecutionNotSucceeded(this.executionId, this.#status, this.#error, waitingOn(this.#status, this.#operations), notes)
    }
    return this.result
  }
  /** The run that carries this execution on after `ctx.continueAsNew` (status CONTINUED_AS_NEW). */
  get continuedAs(): string | undefined { return this.#continuedAs }
  /** The run this one continues. */
  get continuedFrom(): string | undefined { return this.#continuedFrom }
  get history(): ReadonlyArray<LogEvent> { return this.#history }
  get operations(): ReadonlyArray<TestOperation> { return this.#operations.map((op) => new TestOperation(op, this.#operations)) }
  /** What `ctx.emit` recorded, in order, optionally of one topic (as of the last refresh or settle). */
  emissions(topic?: string): ReadonlyArray<Emission> {
    const all = emissionsOf(this.#history)
    return topic === undefined ? all : all.filter((emission) => emission.topic === topic)
  }
  /** How many times each step body ran, by step name (or id when unnamed). */
  get stepBodyRuns(): Readonly<Record<string, number>> { return this.runner.stepBodyRuns(this.executionId) }
  /** What the crash-at-every-checkpoint mode did (undefined: not run in it). */
  get checkpointCrashes(): CheckpointCrashes | undefined { return this.runner.checkpointCrashes(this.executionId) }
  /** How many times the handler was invoked: 1, plus one for each cold replay. */
  get invocations(): number { return this.runner.probe((p) => p.invocations(this.executionId)) }
  /** The execution's virtual time. */
  get now(): Date { return new Date(this.runner.clock(this.executionId).currentTimeMillisUnsafe()) }

  /** The `index`-th operation with this name (in the order they were created). */
  getOperation(name: string, index = 0): TestOperation | undefined {
    return this.operations.filter((op) => op.name === name)[index]
  }
  getOperationByIndex(index: number): TestOperation | undefined { return this.operations[index] }
  getOperationById(id: string): TestOperation | undefined { return this.operations.find((op) => op.id === id) }

  /** The engine's settle of one execution, saying why if it takes long (slow-settle.ts). */
  #settleEngine(executionId: string): Promise<void> {
    return settleSaying(executionId, () => this.runner.engine((e) => e.settle(executionId)), () => this.runner.stepBodyRuns(executionId))
  }

  /** Re-reads the status, operations and history from the store. */
  async refresh(): Promise<this> {
    await this.#refreshView(true)
    this.#history = await this.runner.engine((e) => e.history(this.executionId))
    return this
  }

  /**
   * The status and operations without the history: what the drive loops read each round. Reading (and decoding)
   * the whole history every round made a run of n timers take n² time (1,000 waits: 2.2 s; 2,000: 9.4 s); so did
   * copying every operation (8,000 waits: 7.4 s), so a running execution in memory gives only its open ones, which
   * are all the loops read, unless `whole` (refresh(), the handle the test reads).
   */
  async #refreshView(whole = false): Promise<this> {
    const open = whole ? undefined : this.runner.probe((p) => p.openView(this.executionId))
    const view = open !== undefined && (open.status === "RUNNING" || open.status === "PAUSED")
      ? open
      : await this.runner.engine((e) => e.describe(this.executionId))
    this.#status = view.status
    this.#result = view.result
    this.#error = view.error
    this.#continuedAs = view.continuedAs
    this.#continuedFrom = view.continuedFrom
    this.#operations = view.operations
    return this
  }

  /**
   * Drives the execution until it ends or can go no further alone: answers callbacks from the responders and,
   * with time skipping on, jumps the clock to each next timer. An execution timeout is not skipped to on its own
   * (the clock stops at it when the next timer lies beyond it), retention is not, and neither is a pending callback's timeout (or heartbeat timeout) unless `skipCallbackTimeouts` is set
   * (as `runner.run` does): a step-by-step test that means to send the callback is not beaten to it by the clock.
   */
  async settle(options: SettleOptions = {}): Promise<this> {
    return this.#drive(options, this.runner.skipTime)
  }

  /**
   * The settle loop. Invoked children are driven with `skip` off: the clock they share with this execution is
   * skipped here, to the earliest timer of the whole family, so a child's 1-hour wait does not end before its
   * parent's 10-minute one (a race of `invoke` against a timeout is decided as it would be in real time).
   */
  async #drive(options: SettleOptions, skip: boolean, whole = true): Promise<this> {
    const id = this.executionId
    const done = () => (whole ? this.refresh() : this) // a child driven by its parent's loop is read without history
    const fired = longDriveWatch(id)
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // Which actor the settle below waits for: the one in memory now, if no crash replaces it meanwhile.
      const settling = this.#actorMark()
      await this.#settleEngine(id)
      await this.#refreshView()
      if (this.#status !== "RUNNING") return done()
      if (await this.#answerCallbacks()) continue
      if (await this.#settleChildren(options)) continue
      const now = this.runner.clock(id).currentTimeMillisUnsafe()
      const inMemory = this.runner.probe((p) => p.inMemory(id))
      // An actor in memory that the settle did not wait for (it was loaded after it, or it replaced one a crash took
      // during it: a background delivery of a child's outcome loads the execution) may still go on: settled next
      // round. Taken for idle, it had ended the run RUNNING with all its work ahead of it (crash mode, the fuzz probe).
      if (inMemory && (settling === undefined || settling !== this.#actorMark())) continue
      if (!inMemory && this.checkpointCrashes !== undefined) {
        // Crashed at a checkpoint: resumed at once, on the same clock. A resume that meets crash after crash
        // ("its actor kept going away") is simply tried again next round.
        await this.runner.fireAt(id, now).catch(() => undefined)
        continue
      }
      if (!skip) return done()
      // Evicted mid-run with no alarm: a message is what brings it back (its due is read from the alarm otherwise).
      const next = await this.#nextDue(-Infinity)
      if (next === undefined && inMemory) return done()
      if (next !== undefined && next.family.some((member) => member.#callbackTimesOutBy(next.at, options))) return done()
      const at = Math.max(now, next?.at ?? now)
      await this.#fireFamily(at)
      fired(at)
    }
    throw new Error(`Execution ${id} did not settle in ${MAX_ROUNDS} rounds. ${loopAdvice}`)
  }

  /**
   * Moves this execution's clock forward and lets it act on whatever fell due, as a process that slept until then
   * would (a retry due at 1 s runs at 1.25 s, 250 ms late). With invoked children waiting (they share its clock),
   * the family's timers fire in due-time order up to then, so what fell due first in one acts first.
   */
  async advanceTime(duration: Duration | number): Promise<this> {
    const clock = this.runner.clock(this.executionId)
    const at = clock.currentTimeMillisUnsafe() + toMillis(duration)
    for (let round = 0; round < MAX_ROUNDS; round++) {
      await this.#refreshView()
      const next = await this.#nextDue(clock.currentTimeMillisUnsafe())
      if (next === undefined || next.at >= at || next.family.length === 1) break
      await this.#fireFamily(next.at)
    }
    await this.#fireFamily(at)
    return this.refresh()
  }

  /** This execution and the invoked children it waits for, theirs too (read fresh; this one is refreshed first). */
  async #family(): Promise<Array<TestExecution>> {
    const family: Array<TestExecution> = [this]
    for (let i = 0; i < family.length && i < MAX_ROUNDS; i++) {
      for (const op of family[i]!.#operations) {
        if (op.type !== "CHAINED_INVOKE" || op.status !== "STARTED" || op.childExecutionId === undefined) continue
        const child = await family[i]!.#liveRun(op.childExecutionId)
        if (child !== undefined && (child.status === "RUNNING" || child.status === "PAUSED")) family.push(child)
      }
    }
    return family
  }

  /**
   * The family's earliest timer after `after`: an actor in memory knows its next due operation; one that is not
   * (evicted) is brought back by its store alarm.
   */
  async #nextDue(after: number): Promise<{ readonly at: number; readonly family: ReadonlyArray<TestExecution> } | undefined> {
    const family = await this.#family()
    let next: number | undefined
    for (const member of family) {
      if (member.status === "PAUSED") continue // its timers wait for its resume: firing them does nothing
      const id = member.executionId
      const inMemory = this.runner.probe((p) => p.inMemory(id))
      const timer = inMemory ? this.runner.probe((p) => p.nextOperationDue(id)) : await this.runner.alarmOf(id)
      // A timer past the execution's timeout is not reached: the clock stops at the timeout, which ends it there.
      const timeoutAt = inMemory ? this.runner.probe((p) => p.timeoutAt(id)) : undefined
      const due = timer !== undefined && timeoutAt !== undefined && timeoutAt < timer ? timeoutAt : timer
      if (due !== undefined && due > after && (next === undefined || due < next)) next = due
    }
    return next === undefined ? undefined : { at: next, family }
  }

  /** Sets the family's shared clock to `at` and lets each member act on what fell due, children first. */
  async #fireFamily(at: number): Promise<void> {
    await this.#advanceChildren(at)
    await this.runner.fireAt(this.executionId, at)
  }

  /**
   * Invoked children live in their parent's time: what fell due in them by `at` acts too (their own children's
   * first), and a child that ended lets its parent go on.
   */
  async #advanceChildren(at: number): Promise<void> {
    await this.#refreshView()
    let ended = false
    for (const op of this.#operations) {
      if (op.type !== "CHAINED_INVOKE" || op.status !== "STARTED" || op.childExecutionId === undefined) continue
      const child = await this.#liveRun(op.childExecutionId)
      if (child === undefined) continue // not started yet
      await child.#advanceChildren(at)
      await this.runner.fireAt(child.executionId, at)
      await child.#refreshView()
      if (child.status !== "RUNNING" && child.status !== "PAUSED") ended = true
    }
    if (ended) await this.#settleEngine(this.executionId)
  }

  /** The callback operation named `nameOrId` (its own name, its waitForCallback's name, its id or callback id). */
  callback(nameOrId: string): TestOperation {
    const ops = this.operations
    const matches = ops.filter((op) =>
      op.type === "CALLBACK" &&
      (op.name === nameOrId || op.id === nameOrId || op.callbackId === nameOrId ||
        (op.parentId !== undefined && ops.find((p) => p.id === op.parentId)?.name === nameOrId))
    )
    const open = matches.find((op) => op.status === "STARTED") ?? matches[matches.length - 1]
    if (open === undefined) {
      // Which callbacks it has: a misspelt name, or a step's name given for its callback's, shows at once.
      const known = callbacksOf(this.#operations).map((callback) => callback.shown)
      const has = known.length === 0 ? "none so far" : known.join(", ")
      throw new Error(`Execution ${this.executionId} has no callback ${JSON.stringify(nameOrId)} yet (its callbacks: ${has})`)
    }
    return open
  }

  /** `result` is the payload as the callback's caller sends it: JSON text (or none). */
  async sendCallbackSuccess(nameOrId: string, result?: string): Promise<this> {
    if (result !== undefined && typeof result !== "string") {
      throw new TypeError(`sendCallbackSuccess takes the result as a string (the payload's JSON text): got ${typeof result}; pass JSON.stringify(value)`)
    }
    return this.#complete(nameOrId, { ok: true, ...(result === undefined ? {} : { result }) })
  }

  /** Without an error, or without its fields, fails the callback with "Callback failed" of type "Error", as AWS's SDK. */
  async sendCallbackFailure(nameOrId: string, error?: { errorMessage?: string; errorType?: string; errorData?: string } | Error): Promise<this> {
    return this.#complete(nameOrId, { ok: false, error: callbackError(error) })
  }

  async sendCallbackHeartbeat(nameOrId: string): Promise<this> {
    const callbackId = this.callback(nameOrId).callbackId!
    await this.runner.engine((e) => e.heartbeatCallback(callbackId))
    await this.#settleEngine(this.executionId)
    return this.refresh()
  }

  /** Drops the actor from memory, as a crash would; the next message or alarm resumes it by replay. */
  async evict(): Promise<this> {
    await this.runner.engine((e) => e.evict(this.executionId))
    return this
  }

  /**
   * Stops the execution and, unless `options.children` is false, the children its `ctx.invoke` still waits for. The
   * error is recorded as the HTTP stop records it (`errorType` "Stopped" unless given, `errorData` kept).
   */
  async stop(error?: { errorMessage: string; errorType?: string; errorData?: string }, options?: { readonly children?: boolean }): Promise<this> {
    const recorded = error === undefined
      ? undefined
      : { errorType: error.errorType ?? "Stopped", errorMessage: error.errorMessage, ...(error.errorData === undefined ? {} : { errorData: error.errorData }) }
    await this.runner.engine((e) => e.stop(this.executionId, recorded, options))
    // Inside a saga a stop is a request: the compensations run first (as pause and resume settle what they let run).
    await this.#settleEngine(this.executionId)
    return this.refresh()
  }

  /** Pauses the execution (its status reads PAUSED): no new operation starts, no timer fires until `resume`. */
  async pause(): Promise<this> {
    await this.runner.engine((e) => e.pause(this.executionId))
    await this.#settleEngine(this.executionId)
    return this.refresh()
  }

  /** Resumes a paused execution: held operations start, and timers that fell due meanwhile fire. */
  async resume(): Promise<this> {
    await this.runner.engine((e) => e.resume(this.executionId))
    await this.#settleEngine(this.executionId)
    return this.refresh()
  }

  /**
   * Forks the execution from top-level operation `fromOperation`: a new execution whose log is a copy of this
   * one's before it (its steps are not run again), run until it settles. This execution is untouched.
   */
  async fork(fromOperation: string, options: { readonly input?: unknown } = {}): Promise<TestExecution> {
    const started = await this.runner.engine((e) =>
      e.fork(this.executionId, { fromOperation, ...("input" in options ? { input: options.input } : {}) }))
    const fork = await this.runner.execution(started.executionId, { callbacks: this.responders })
    return fork.settle()
  }

  /** Runs this FAILED, TIMED_OUT or STOPPED execution again from top-level operation `fromOperation`, until it settles. */
  async rewind(fromOperation: string): Promise<this> {
    await this.runner.engine((e) => e.rewind(this.executionId, { fromOperation }))
    return this.settle()
  }

  async #complete(nameOrId: string, outcome: Parameters<TestRunner["completeCallback"]>[1]): Promise<this> {
    const callback = this.callback(nameOrId)
    const callbackId = callback.callbackId!
    if (this.checkpointCrashes === undefined || callback.status !== "STARTED") {
      await this.runner.completeCallback(callbackId, outcome)
    } else {
      // Crash mode: the completion may be crashed before its write (sent again, as a client would) or after it (then
      // the engine's resend finds the callback completed: this completion is what completed it).
      for (let tries = 1; ; tries++) {
        const failed = await this.runner.completeCallback(callbackId, outcome).then(() => undefined, (error: unknown) => error)
        if (failed === undefined || isLate(failed)) break
        if (tries >= CRASHED_COMPLETION_TRIES) throw failed
        await this.runner.fireAt(this.executionId, this.runner.clock(this.executionId).currentTimeMillisUnsafe()).catch(() => undefined)
      }
    }
    await this.#settleEngine(this.executionId)
    return this.refresh()
  }

  /**
   * Names the actor in memory (undefined: none). In crash mode an actor in memory is dropped only by a crash, each
   * counted: the same mark before and after means the same actor. Otherwise the mark says only that one is in memory.
   */
  #actorMark(): number | undefined {
    if (!this.runner.probe((p) => p.inMemory(this.executionId))) return undefined
    return this.checkpointCrashes?.crashes ?? 0
  }

  /** Whether skipping the clock to `at` would time out a pending callback that the test was not asked to skip. */
  #callbackTimesOutBy(at: number, options: SettleOptions): boolean {
    if (options.skipCallbackTimeouts === true) return false
    return this.#operations.some((op) => {
      const due = op.type === "CALLBACK" ? dueAt(op) : undefined
      return due !== undefined && due <= at
    })
  }

  /** An invoked child's current run: a child that continued as new goes on in its last run (`<id>~2` …). */
  async #liveRun(executionId: string): Promise<TestExecution | undefined> {
    // Read without its history (the drive loops ask every round); a handle given to the test is read whole.
    const read = (id: string) => new TestExecution(this.runner, id, this.responders).#refreshView().catch(() => undefined)
    let run = await read(executionId)
    for (let hops = 0; run !== undefined && run.status === "CONTINUED_AS_NEW" && run.continuedAs !== undefined && hops < MAX_ROUNDS; hops++) {
      run = await read(run.continuedAs)
    }
    return run
  }

  /** Drives every invoked child that is still running; true when one of them ended (its parent can go on). */
  async #settleChildren(options: SettleOptions): Promise<boolean> {
    let ended = false
    for (const op of this.#operations) {
      if (op.type !== "CHAINED_INVOKE" || op.status !== "STARTED" || op.childExecutionId === undefined) continue
      const child = await this.#liveRun(op.childExecutionId)
      if (child === undefined) continue // not started yet: the next round sees it
      await child.#drive(options, false, false) // the family's clock is skipped by the execution at its top
      if (child.status !== "RUNNING" && child.status !== "PAUSED") ended = true
    }
    if (ended) await this.#settleEngine(this.executionId)
    return ended
  }

  /** Gives each new callback to its responder once; true when one was completed. */
  async #answerCallbacks(): Promise<boolean> {
    let answered = false
    for (const op of this.operations) {
      if (op.type !== "CALLBACK" || op.status !== "STARTED" || this.#answered.has(op.id)) continue
      const parent = op.parentId === undefined ? undefined : this.getOperationById(op.parentId)
      const name = op.name ?? parent?.name
      const responder = name === undefined ? undefined : this.responders[name]
      if (name === undefined || responder === undefined) continue
      this.#answered.add(op.id)
      const reply = await responder({ callbackId: op.callbackId!, operationId: op.id, name })
      if (reply === undefined) continue
      const completion = this.runner.completeCallback(op.callbackId!, replyOutcome(name, reply))
      if (this.checkpointCrashes === undefined) {
        // The execution may have gone past the callback while its responder answered (a batch that completed, a
        // timeout, a stop): the answer is refused as late, as a real client's would be, and the run goes on.
        const failed = await completion.then(() => undefined, (error: unknown) => error)
        if (failed !== undefined && !isLate(failed)) throw failed
      } else {
        // A crash may take the completion before its write (answer it again next round) or after it (then the
        // resent completion finds the callback completed, as a client retrying after a crash would).
        const failed = await completion.then(() => undefined, (error: unknown) => error)
        // A completion refused for itself (a result its schema refuses, a payload over the limit) is refused again
        // on every try: thrown, as without crashes, rather than answered again each round for ever (the API probe).
        if (failed instanceof InvalidRequest) throw failed
        if (failed !== undefined && !isLate(failed)) this.#answered.delete(op.id)
      }
      answered = true
    }
    return answered
  }
}

/** A completion refused because the callback or its execution was over by then: a late answer, not a failure. */
const isLate = (failed: unknown): boolean => failed instanceof CallbackAlreadyCompleted || failed instanceof ExecutionNotRunning
