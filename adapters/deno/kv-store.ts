/**
 * The Deno ExecutionStore on Deno KV (docs/design.md §5 and §9). Layout in kv-keys.ts, events in kv-log.ts, the
 * listing in kv-listing.ts.
 *
 * - **Conditional append.** The log's head (`meta`: last seq, generation, summary) is checked by versionstamp in the
 *   atomic operation that writes the batch's events and the new head, so exactly one of two racing appends wins and
 *   the other reads the head again and answers SeqConflict. The head's versionstamp is remembered after each append
 *   or load, so a step costs one atomic commit and no read; a stale memory only makes the check fail and the head
 *   be read again.
 * - **Group commit.** The appends and alarm writes of many executions share atomic operations (kv-group-commit.ts);
 *   `groupCommit: false` makes each its own.
 * - **Alarms.** `setAlarm` writes the alarm key, its time-ordered twin, and enqueues `{ reprise: "alarm",
 *   executionId, at }` with the delay until `at`, all in one atomic operation (so no alarm is ever set without its
 *   wake-up). An append that carries an alarm (a start and its watchdog) does the same in the append's operation. Deno's queue cannot cancel a message: queue-wake-ups.ts makes stale and repeated ones harmless.
 *   An alarm write is conditional on the log's head this process knows: a stale actor of one isolate never moves
 *   the alarm that the isolate holding the newer log set.
 * - Every KV failure is a StoreFailure; the engine evicts the actor and retries through the alarm.
 */
import { Effect, Layer, Result } from "effect"
import { Base64Url } from "effect/encoding"
import {
  attemptStorePromise as attempt,
  checkAppend,
  decodeLog,
  EMPTY_HEAD,
  encodeEvents,
  ExecutionStore,
  type ExecutionStoreShape,
  type ExecutionSummary,
  LogCorrupted,
  type LogEvent,
  type SeqConflict,
  type StoredLog,
  StoreFailure,
  storeFailure
} from "reprise/store"
import { type AtomicOperation, deno, type Kv, type KvEntryMaybe } from "./deno-api.ts"
import {
  alarmAtKey,
  alarmAtPrefix,
  alarmKey,
  alarmMessage,
  configKey,
  KV_LIMITS,
  executionKeyBytes,
  metaKey,
  partsPrefix,
  eventsPrefix,
  keyPartBytes,
  randomToken
} from "./kv-keys.ts"
import { type CommitResult, type GroupedWrite, type KvGroupCommitter, makeKvGroupCommitter } from "./kv-group-commit.ts"
import { listExecutions, withEndErrors, writeIndex } from "./kv-listing.ts"
import { type BatchPlan, deletePrefix, dropSegment, planBatch, readLastRawEvent, readRawEvents, type SegmentPointer, stageSegment, writeBatch } from "./kv-log.ts"

export interface DenoKvStoreOptions {
  /** The time in ms since the epoch, for queue delays (default Date.now). */
  readonly now?: () => number
  /** How many log heads to remember for appends without a read (default 10,000). */
  readonly headCache?: number
  /**
   * Appends of several executions share one KV commit when they arrive while another is committing (default true;
   * kv-group-commit.ts). false: each append is its own commit, as before issue 13.
   */
  readonly groupCommit?: boolean
}

export interface AlarmEntry {
  readonly executionId: string
  readonly at: number
}

/** The ExecutionStore, plus what the queue listener and the server need (Promise-based; they reject with StoreFailure). */
export interface DenoKvStore extends ExecutionStoreShape {
  readonly kv: Kv
  /** The execution's alarm, read straight from KV. */
  alarmAt(executionId: string): Promise<number | undefined>
  /** Moves the alarm to `to` (and enqueues its wake-up) only if it is still at `from`; true when moved. */
  moveAlarm(executionId: string, from: number, to: number): Promise<boolean>
  /** Enqueues another wake-up for the alarm at `at` (the delay is capped at KV's 30 days). */
  requeue(executionId: string, at: number): Promise<void>
  /** Alarms at or before `horizon`, earliest first. */
  dueAlarms(horizon: number, limit: number): Promise<ReadonlyArray<AlarmEntry>>
  /** Running executions without an alarm, a page of the listing at a time (`after`: the previous page's `next`). */
  runningWithoutAlarm(after: string | undefined, limit: number): Promise<{ readonly executionIds: ReadonlyArray<string>; readonly next?: string }>
  /** The server setting `name` kept in KV; when there is none, `value` is stored and returned (the first writer wins). */
  keepConfig(name: string, value: string): Promise<string>
  /** The server setting `name` (undefined: none). */
  readConfig(name: string): Promise<string | undefined>
  /** Sets the server setting `name` (schedule records: src/schedule/schedule-store.ts). */
  writeConfig(name: string, value: string): Promise<void>
  /** Sets the server setting `name` only if it holds exactly `expected` (undefined: none); true when set. */
  swapConfig(name: string, expected: string | undefined, value: string): Promise<boolean>
  close(): void
}

interface Meta {
  readonly seq: number
  readonly gen: string
  readonly summary: ExecutionSummary
}

interface Head {
  readonly meta: Meta | undefined
  readonly versionstamp: string | null
}

/** A new execution's alarm, as the grouped start guesses it: none (the operation's check stands behind the guess). */
const NO_ALARM = { value: null, versionstamp: null } as const

/** Check failures in a row before an operation gives up (each means another writer moved the key meanwhile). */
const MAX_ATTEMPTS = 20

const orReject = <A>(operation: string, work: () => Promise<A>): Promise<A> => work().catch((error: unknown) => Promise.reject(storeFailure(operation)(error)))

const contention = (operation: string, id: string) =>
  new StoreFailure({ operation, reason: `execution ${id}: the key kept changing under ${MAX_ATTEMPTS} attempts` })

export const makeDenoKvStore = (kv: Kv, options: DenoKvStoreOptions = {}): DenoKvStore => {
  const now = options.now ?? Date.now
  const maxHeads = Math.max(0, options.headCache ?? 10_000)
  const heads = new Map<string, Head>()
  const remember = (id: string, head: Head) => {
    if (maxHeads === 0) return
    heads.delete(id)
    heads.set(id, head)
    if (heads.size > maxHeads) heads.delete(heads.keys().next().value!)
  }
  const readHead = async (id: string): Promise<Head> => {
    const entry = await kv.get<Meta>(metaKey(id))
    return { meta: entry.value ?? undefined, versionstamp: entry.versionstamp }
  }
  const delay = (at: number) => Math.max(0, Math.min(KV_LIMITS.queueDelayMs, Math.ceil(at - now())))
  const committer = options.groupCommit === false ? undefined : makeKvGroupCommitter(kv)
  /**
   * Adds to `op` the move of the execution's alarm from `current` (checked: nobody moved it meanwhile) to `at`, with
   * its time index and its queue message; `at` undefined deletes it.
   */
  const putAlarm = (op: AtomicOperation, id: string, current: KvEntryMaybe<number> | typeof NO_ALARM, at: number | undefined) => {
    op.check({ key: alarmKey(id), versionstamp: current.versionstamp })
    if (current.value !== null) op.delete(alarmAtKey(current.value, id))
    if (at === undefined) op.delete(alarmKey(id))
    else op.set(alarmKey(id), at).set(alarmAtKey(at, id), true).enqueue(alarmMessage(id, at), { delay: delay(at) })
  }
  /** One execution's write, in a group commit when there is a committer. */
  const commitWrite = (write: GroupedWrite): Promise<CommitResult> => {
    if (committer !== undefined) return committer.commit(write)
    const op = kv.atomic()
    write.write(op)
    return op.commit()
  }

  /** The raw events of the log and its seq (undefined: no such execution). */
  const loadNow = async (id: string): Promise<{ raw: Array<unknown>; seq: number } | undefined | LogCorrupted> => {
    let corrupted: LogCorrupted | undefined
    for (let round = 0; round < 3; round++) {
      const head = await readHead(id)
      if (head.meta === undefined) return undefined
      const raw = await readRawEvents(kv, id, head.meta.gen, head.meta.seq)
      if (!(raw instanceof LogCorrupted)) {
        remember(id, head)
        return { raw, seq: head.meta.seq }
      }
      corrupted = raw
      // A gap seen while the execution was being deleted (or re-created) is not corruption: read again.
      const again = await readHead(id)
      if (again.versionstamp === head.versionstamp) return raw
    }
    return corrupted
  }

  /** The last raw event of a log (undefined: no such execution, or its log cannot be read), not the whole log. */
  const lastRawEvent = async (id: string): Promise<unknown> => {
    const { meta } = await readHead(id)
    return meta === undefined ? undefined : readLastRawEvent(kv, id, meta.gen, meta.seq)
  }

  /** The conditional append; returns the refusal, or undefined once committed. Rejects on KV failures. */
  const appendNow = (
    id: string,
    events: ReadonlyArray<LogEvent>,
    encoded: ReadonlyArray<unknown>,
    expectedSeq: number,
    alarmAt: number | undefined
  ): Promise<SeqConflict | LogCorrupted | undefined> => {
    const keyBytes = executionKeyBytes(id)
    const plan = planBatch(encoded, keyBytes)
    const grouped = committer !== undefined && plan._tag === "Direct" ? appendGrouped(committer, id, keyBytes, events, plan, expectedSeq, alarmAt) : undefined
    return grouped ?? appendAlone(id, events, plan, expectedSeq, alarmAt)
  }

  /**
   * The append as a member of a group commit, when its head is known without a read: the head remembered at
   * `expectedSeq` without a new alarm (a step, an end), or a new execution's start, whose log and alarm are taken
   * not to exist (a fresh id). The checks in the operation stand behind either guess: when they refuse it, the append
   * is made again by appendAlone, which reads the head. Undefined: not a candidate.
   */
  const appendGrouped = (
    group: KvGroupCommitter,
    id: string,
    keyBytes: number,
    events: ReadonlyArray<LogEvent>,
    plan: Extract<BatchPlan, { _tag: "Direct" }>,
    expectedSeq: number,
    alarmAt: number | undefined
  ): Promise<SeqConflict | LogCorrupted | undefined> | undefined => {
    const cached = heads.get(id)
    const fresh = cached === undefined && expectedSeq === 0
    if (!fresh && (cached === undefined || (cached.meta?.seq ?? 0) !== expectedSeq || alarmAt !== undefined)) return undefined
    const head: Head = cached ?? { meta: undefined, versionstamp: null }
    const checked = checkAppend(id, head.meta ?? EMPTY_HEAD, events, expectedSeq)
    // A remembered head answers as appendAlone's first round does; a guessed one does not answer at all.
    if (Result.isFailure(checked)) return fresh ? undefined : Promise.resolve(checked.failure)
    const summary = checked.success
    const meta: Meta = { seq: expectedSeq + events.length, gen: head.meta?.gen ?? randomToken(), summary }
    const indexed = summary !== head.meta?.summary
    // An index key holds the function name and version besides the id (kv-listing.ts).
    const indexKeyBytes = keyBytes + keyPartBytes(summary.functionName) + keyPartBytes(summary.version ?? "")
    // The error's text is anyone's (non-ASCII takes up to 3 bytes a UTF-16 unit); the names are the developer's.
    const errorLength = summary.error === undefined ? 0 : summary.error.errorType.length + summary.error.errorMessage.length
    const summaryBytes = 2 * (id.length + summary.functionName.length + (summary.version?.length ?? 0)) + 3 * errorLength + 256
    const bytes = plan.bytes + keyBytes + summaryBytes + (indexed ? 10 * (indexKeyBytes + summaryBytes) : 0) +
      (alarmAt === undefined ? 0 : 4 * keyBytes + 256)
    // Keys set (and checked, to err high): the events', the head's (checked and set), five index rows, the alarm's
    // (checked, set twice).
    const keyTotal = (plan.texts.length + 2) * keyBytes + (indexed ? 5 * indexKeyBytes : 0) + (alarmAt === undefined ? 0 : 3 * keyBytes)
    const written = group.commit({
      executionId: id,
      checks: alarmAt === undefined ? 1 : 2,
      mutations: plan.texts.length + 1 + (indexed ? 10 : 0) + (alarmAt === undefined ? 0 : 3),
      bytes,
      keyBytes: keyTotal,
      write: (op) => {
        op.check({ key: metaKey(id), versionstamp: head.versionstamp })
        writeBatch(op, id, meta.gen, expectedSeq + 1, plan, undefined)
        op.set(metaKey(id), meta)
        if (indexed) writeIndex(op, head.meta?.summary, summary)
        if (alarmAt !== undefined) putAlarm(op, id, NO_ALARM, alarmAt)
      }
    })
    return written.then((result) => {
      if (result.ok) {
        remember(id, { meta, versionstamp: result.versionstamp })
        return undefined
      }
      heads.delete(id) // the head was not as remembered or guessed: appendAlone reads it
      return appendAlone(id, events, plan, expectedSeq, alarmAt)
    })
  }

  /** The append in its own atomic operation(s), reading the head when the remembered one does not do. */
  const appendAlone = async (
    id: string,
    events: ReadonlyArray<LogEvent>,
    plan: BatchPlan,
    expectedSeq: number,
    alarmAt: number | undefined
  ): Promise<SeqConflict | LogCorrupted | undefined> => {
    let staged: { gen: string; pointer: SegmentPointer } | undefined
    try {
      for (let round = 0; round < MAX_ATTEMPTS; round++) {
        const cached = round === 0 ? heads.get(id) : undefined
        const head = cached !== undefined && (cached.meta?.seq ?? 0) === expectedSeq ? cached : await readHead(id)
        const checked = checkAppend(id, head.meta ?? EMPTY_HEAD, events, expectedSeq)
        if (Result.isFailure(checked)) return checked.failure
        const summary = checked.success
        const gen = head.meta?.gen ?? staged?.gen ?? randomToken()
        if (plan._tag === "Segment" && staged?.gen !== gen) {
          if (staged !== undefined) await dropSegment(kv, id, staged.gen, expectedSeq + 1, staged.pointer)
          staged = { gen, pointer: await stageSegment(kv, id, gen, expectedSeq + 1, plan) }
        }
        const meta: Meta = { seq: expectedSeq + events.length, gen, summary }
        const op = kv.atomic().check({ key: metaKey(id), versionstamp: head.versionstamp })
        writeBatch(op, id, gen, expectedSeq + 1, plan, staged?.pointer)
        op.set(metaKey(id), meta)
        if (summary !== head.meta?.summary) writeIndex(op, head.meta?.summary, summary)
        if (alarmAt !== undefined) {
          putAlarm(op, id, await kv.get<number>(alarmKey(id)), alarmAt)
        }
        const result = await op.commit()
        if (result.ok) {
          staged = undefined
          remember(id, { meta, versionstamp: result.versionstamp })
          return undefined
        }
        heads.delete(id) // another writer moved the head: read it again
      }
      throw contention("append", id)
    } finally {
      if (staged !== undefined) await dropSegment(kv, id, staged.gen, expectedSeq + 1, staged.pointer)
    }
  }

  /**
   * Sets (or, with `at` undefined, deletes) the alarm; `from` makes it conditional on the alarm's current time.
   * Only while the log's head is the one this process last wrote or read: an actor of another isolate that has
   * appended since owns the execution's timers and sets the alarm from the newer log. Without that check, a stale
   * actor here (its callback's timeout in 5 minutes) overwrote the alarm of the wait the other isolate had just
   * started, and the wait fired 5 minutes late (or, at the execution timeout, a year late).
   */
  const writeAlarm = async (id: string, at: number | undefined, from?: number): Promise<boolean> => {
    // A conditional move (the dispatcher postponing a failed delivery) is checked against the alarm's time already.
    const known = from === undefined ? heads.get(id) : undefined
    for (let round = 0; round < MAX_ATTEMPTS; round++) {
      const current: KvEntryMaybe<number> = await kv.get<number>(alarmKey(id))
      if (from !== undefined && current.value !== from) return false
      if (at === undefined && current.value === null) return true
      const write = (op: AtomicOperation) => {
        if (known !== undefined) op.check({ key: metaKey(id), versionstamp: known.versionstamp })
        putAlarm(op, id, current, at)
      }
      const keyBytes = executionKeyBytes(id)
      const checks = known === undefined ? 1 : 2
      if ((await commitWrite({ executionId: id, checks, mutations: 4, bytes: 4 * keyBytes + 256, keyBytes: 4 * keyBytes, write })).ok) return true
      // The head moved: this process's view stays stale (and its alarm writes refused) until it reads the log again.
      if (known !== undefined && (await readHead(id)).versionstamp !== known.versionstamp) return false
    }
    throw contention(at === undefined ? "deleteAlarm" : "setAlarm", id)
  }

  const deleteNow = async (id: string): Promise<void> => {
    for (let round = 0; round < MAX_ATTEMPTS; round++) {
      const [meta, alarm] = await kv.getMany<[Meta, number]>([metaKey(id), alarmKey(id)])
      const op = kv.atomic()
        .check({ key: metaKey(id), versionstamp: meta.versionstamp })
        .check({ key: alarmKey(id), versionstamp: alarm.versionstamp })
      if (meta.value !== null) {
        op.delete(metaKey(id))
        writeIndex(op, meta.value.summary, undefined)
      }
      if (alarm.value !== null) op.delete(alarmKey(id)).delete(alarmAtKey(alarm.value, id))
      if (!(await op.commit()).ok) continue
      heads.delete(id)
      // The execution is gone for readers; its generation's keys can go at leisure (a re-created log has another).
      if (meta.value !== null) {
        await deletePrefix(kv, eventsPrefix(id, meta.value.gen))
        await deletePrefix(kv, partsPrefix(id, meta.value.gen))
      }
      return
    }
    throw contention("delete", id)
  }

  return {
    kv,
    load: (executionId) =>
      Effect.flatMap(attempt("load", () => loadNow(executionId)), (found) => {
        if (found === undefined) return Effect.succeed(undefined)
        if (found instanceof LogCorrupted) return Effect.fail(found)
        return Effect.map(decodeLog(executionId, found.raw), (events): StoredLog => ({ events, seq: found.seq }))
      }),

    // The hot path of every step: flatMap chains rather than generators.
    append: (executionId, events, expectedSeq, options) =>
      Effect.flatMap(encodeEvents(executionId, events), (encoded) =>
        Effect.flatMap(attempt("append", () => appendNow(executionId, events, encoded, expectedSeq, options?.alarmAt)), (refused) =>
          refused === undefined ? Effect.succeed(events) : Effect.fail(refused))),

    setAlarm: (executionId, at) => Effect.asVoid(attempt("setAlarm", () => writeAlarm(executionId, at))),
    getAlarm: (executionId) => attempt("getAlarm", async () => (await kv.get<number>(alarmKey(executionId))).value ?? undefined),
    deleteAlarm: (executionId) => Effect.asVoid(attempt("deleteAlarm", () => writeAlarm(executionId, undefined))),
    list: (query) => attempt("list", async () => withEndErrors(await listExecutions(kv, query), lastRawEvent)),
    summary: (executionId) => attempt("summary", async () => (await readHead(executionId)).meta?.summary),
    delete: (executionId) => attempt("delete", () => deleteNow(executionId)),

    alarmAt: (executionId) => orReject("alarmAt", async () => (await kv.get<number>(alarmKey(executionId))).value ?? undefined),
    moveAlarm: (executionId, from, to) => orReject("moveAlarm", () => writeAlarm(executionId, to, from)),
    requeue: (executionId, at) => orReject("requeue", async () => void await kv.enqueue(alarmMessage(executionId, at), { delay: delay(at) })),
    dueAlarms: (horizon, limit) =>
      orReject("dueAlarms", async () => {
        const due: Array<AlarmEntry> = []
        for await (const entry of kv.list({ prefix: alarmAtPrefix }, { batchSize: Math.min(1000, limit + 1) })) {
          const [at, executionId] = entry.key.slice(-2) as [number, string]
          if (at > horizon || due.length >= limit) break
          due.push({ executionId, at })
        }
        return due
      }),
    runningWithoutAlarm: (after, limit) =>
      orReject("runningWithoutAlarm", async () => {
        const page = await listExecutions(kv, { status: "RUNNING", limit, ...(after === undefined ? {} : { cursor: after }) })
        const executionIds: Array<string> = []
        for (let i = 0; i < page.items.length; i += 10) { // getMany reads at most 10 keys
          const ids = page.items.slice(i, i + 10).map((item) => item.executionId)
          const found = await kv.getMany<Array<number>>(ids.map(alarmKey))
          ids.forEach((id, j) => found[j]!.value === null && executionIds.push(id))
        }
        return page.cursor === undefined ? { executionIds } : { executionIds, next: page.cursor }
      }),
    keepConfig: (name, value) =>
      orReject("keepConfig", async () => {
        for (let round = 0; round < MAX_ATTEMPTS; round++) {
          const existing = await kv.get<string>(configKey(name))
          if (typeof existing.value === "string") return existing.value
          if ((await kv.atomic().check({ key: configKey(name), versionstamp: null }).set(configKey(name), value).commit()).ok) return value
        }
        throw contention("keepConfig", name)
      }),
    readConfig: (name) =>
      orReject("readConfig", async () => {
        const entry = await kv.get<string>(configKey(name))
        return typeof entry.value === "string" ? entry.value : undefined
      }),
    writeConfig: (name, value) => orReject("writeConfig", async () => void (await kv.set(configKey(name), value))),
    swapConfig: (name, expected, value) =>
      orReject("swapConfig", async () => {
        const entry = await kv.get<string>(configKey(name))
        const current = typeof entry.value === "string" ? entry.value : undefined
        if (current !== expected) return false
        // The versionstamp read: a write in between fails the commit.
        return (await kv.atomic().check({ key: configKey(name), versionstamp: entry.versionstamp }).set(configKey(name), value).commit()).ok
      }),
    close: () => kv.close()
  }
}

/** Opens Deno KV (a file path, a remote URL, or the default database) and the store on it. */
export const openDenoKvStore = async (path?: string, options: DenoKvStoreOptions = {}): Promise<DenoKvStore> =>
  makeDenoKvStore(await orReject("open", () => deno().openKv(path)), options)

/** The store as a scoped layer: KV is closed when the layer is released. */
export const layerDenoKvStore = (path?: string, options: DenoKvStoreOptions = {}): Layer.Layer<ExecutionStore, StoreFailure> =>
  Layer.effect(
    ExecutionStore,
    Effect.acquireRelease(attempt("open", () => openDenoKvStore(path, options)), (store) => Effect.sync(() => store.close()))
  )
