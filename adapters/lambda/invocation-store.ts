/**
 * The ExecutionStore of one Lambda invocation. Its log is the service's state, translated once when the
 * invocation starts (`load`); every append becomes checkpoint calls (batched within the service's limits, each
 * consuming the current checkpoint token and returning the next). The service completes waits, callbacks and
 * invokes and re-invokes the function, so there are no alarms to keep: `setAlarm` and an append's `alarmAt` are
 * no-ops (the service starts the execution and owns its timers; nothing here can leave it without a wake-up). The execution's end is not checkpointed:
 * the handler returns it (`outcome`).
 *
 * A CALLBACK START answers with the callback id the service issued; the append returns a copy of the
 * CallbackStarted event that carries it, so the engine records the service's id (see ExecutionStoreShape.append).
 */
import { Effect, Result } from "effect"
import {
  checkAppend,
  type ExecutionStoreShape,
  isTerminalEvent,
  type LogEvent,
  LogCorrupted,
  SeqConflict,
  storeFailure,
  summarize,
  type TerminalEvent
} from "reprise/store"
import { batchUpdates } from "./checkpoint-batches.ts"
import { CheckpointFailedError, classifyCheckpointError, InvocationTakenAway } from "./checkpoint-errors.ts"
import { makeUpdateTranslator } from "./log-to-updates.ts"
import { wireId } from "./operation-ids.ts"
import type { DurableExecutionClient, OperationUpdate, WireOperation } from "./wire.ts"
import type { TranslatedLog } from "./wire-to-log.ts"

export type ExecutionEnd = TerminalEvent

export interface InvocationStore extends ExecutionStoreShape {
  /** The execution's end, once the engine has written it. */
  outcome(): ExecutionEnd | undefined
  /** The checkpoint failure that stopped this invocation, if one did (InvocationTakenAway: the service took it). */
  failure(): CheckpointFailedError | undefined
  /** How many checkpoint calls this invocation made. */
  checkpointCalls(): number
  /** The log as this invocation holds it now. */
  events(): ReadonlyArray<LogEvent>
  /** The service's state now (every page), read with the current token, never during a checkpoint. */
  readState(): Promise<Array<WireOperation>>
  /** Steps the service made due (READY): their next attempt is checkpointed with a START, as after a re-invocation. */
  markReady(ids: ReadonlyArray<string>): void
}

export interface InvocationStoreOptions {
  readonly client: DurableExecutionClient
  readonly executionArn: string
  readonly checkpointToken: string
  readonly log: TranslatedLog
}

export const makeInvocationStore = (options: InvocationStoreOptions): InvocationStore => {
  const { client, executionArn } = options
  const events: Array<LogEvent> = [...options.log.events]
  const translator = makeUpdateTranslator(options.log.operations)
  let token = options.checkpointToken
  let seq = events.length
  let summary = summarize(undefined, events)
  let end: ExecutionEnd | undefined
  let failed: CheckpointFailedError | undefined
  let calls = 0
  /** Checkpoints and state reads one at a time: each uses the token the one before returned. */
  let queue: Promise<unknown> = Promise.resolve()
  const exclusive = <A>(run: () => Promise<A>): Promise<A> => {
    const next = queue.then(run, run)
    queue = next.catch(() => undefined)
    return next
  }

  const checkpoint = async (updates: Array<OperationUpdate>) => {
    let response: Awaited<ReturnType<DurableExecutionClient["checkpoint"]>>
    try {
      calls++
      response = await client.checkpoint({ DurableExecutionArn: executionArn, CheckpointToken: token, Updates: updates })
    } catch (error) {
      throw new CheckpointFailedError(`Checkpoint failed: ${(error as Error)?.message ?? String(error)}`, classifyCheckpointError(error), error)
    }
    // No token: the invocation is no longer ours. Its state is not applied and the spent token is never sent again.
    if (!response.CheckpointToken) throw new InvocationTakenAway()
    token = response.CheckpointToken
    return response.NewExecutionState?.Operations ?? []
  }

  /** The service's callback ids for CALLBACK STARTs it did not echo back (found by reading the state). */
  const findCallbackIds = async (missing: Map<string, CallbackSlot>) => {
    let marker: string | undefined
    do {
      const page = await client.getExecutionState({ DurableExecutionArn: executionArn, CheckpointToken: token, MaxItems: 1000, ...(marker ? { Marker: marker } : {}) })
      for (const op of page.Operations ?? []) assignCallbackId(missing, op)
      marker = page.NextMarker || undefined
    } while (marker !== undefined && missing.size > 0)
  }

  /**
   * The service takes a step's next attempt only once it has made the retry due (READY); the engine may run it
   * sooner: a retry strategy's delay of 0 falls due as it is written, and a short one may pass while the checkpoint
   * that wrote it is under way. The attempt then waits here for READY (read every READY_POLL_MS, a bounded number
   * of times), as AWS's SDK waits for its retry timer; sent at once, its update was refused ("Invalid current STEP
   * state to close") and the invocation failed.
   */
  const untilReady = async (batch: ReadonlyArray<LogEvent>) => {
    const early = new Set<string>()
    for (const event of batch) {
      if ((event._tag === "StepStarted" || event._tag === "StepSucceeded" || event._tag === "StepFailed") && options.log.operations.get(event.id)?.status === "PENDING") {
        early.add(event.id)
      }
    }
    for (let read = 0; early.size > 0; read++) {
      if (read === READY_POLLS) {
        throw new CheckpointFailedError(`The service has not made the retry of step ${[...early].join(", ")} due`, "INVOCATION", undefined)
      }
      if (read > 0) await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS))
      let marker: string | undefined
      do {
        const page = await client.getExecutionState({ DurableExecutionArn: executionArn, CheckpointToken: token, MaxItems: 1000, ...(marker ? { Marker: marker } : {}) })
        for (const id of early) {
          if (page.Operations?.some((op) => op.Id === wireId(id) && op.Status === "READY")) {
            options.log.operations.get(id)!.status = "READY"
            early.delete(id)
          }
        }
        marker = page.NextMarker || undefined
      } while (marker !== undefined && early.size > 0)
    }
  }

  /** Checkpoints the batch; returns it as written (copies of the CallbackStarted events, with the service's ids). */
  const write = async (batch: ReadonlyArray<LogEvent>, expectedSeq: number): Promise<ReadonlyArray<LogEvent>> => {
    if (failed !== undefined) throw failed
    const checked = checkAppend(executionArn, { seq, summary }, batch, expectedSeq)
    if (Result.isFailure(checked)) throw checked.failure
    const written = [...batch]
    try {
      await untilReady(batch)
    } catch (error) {
      failed = error instanceof CheckpointFailedError ? error : new CheckpointFailedError(String(error), "INVOCATION", error)
      throw failed
    }
    const updates: Array<OperationUpdate> = []
    const callbacks = new Map<string, CallbackSlot>()
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i]!
      for (const update of translator.updatesFor(event)) {
        updates.push(update)
        if (event._tag === "CallbackStarted") callbacks.set(update.Id, { written, at: i })
      }
    }
    try {
      for (const chunk of batchUpdates(updates, token.length + 100)) {
        for (const op of await checkpoint(chunk)) assignCallbackId(callbacks, op)
      }
      if (callbacks.size > 0) await findCallbackIds(callbacks)
      if (callbacks.size > 0) throw new CheckpointFailedError("The service issued no callback id for a started callback", "INVOCATION", undefined)
    } catch (error) {
      failed = error instanceof CheckpointFailedError ? error : new CheckpointFailedError(String(error), "INVOCATION", error)
      throw failed
    }
    events.push(...written)
    seq = expectedSeq + written.length
    summary = checked.success
    const reached = written.find(isTerminalEvent)
    if (reached !== undefined) end ??= reached
    return written
  }

  return {
    outcome: () => end,
    failure: () => failed,
    checkpointCalls: () => calls,
    events: () => events,
    markReady: (ids) => {
      for (const id of ids) {
        const op = options.log.operations.get(id)
        if (op !== undefined) op.status = "READY"
      }
    },
    readState: () =>
      exclusive(async () => {
        if (failed !== undefined) throw failed
        const operations: Array<WireOperation> = []
        let marker: string | undefined
        do {
          const page = await client.getExecutionState({ DurableExecutionArn: executionArn, CheckpointToken: token, MaxItems: 1000, ...(marker ? { Marker: marker } : {}) })
          operations.push(...(page.Operations ?? []))
          marker = page.NextMarker || undefined
        } while (marker !== undefined)
        return operations
      }),
    load: () => Effect.sync(() => ({ events: [...events], seq })),
    append: (_executionId, batch, expectedSeq) =>
      Effect.tryPromise({
        try: () => exclusive(() => write(batch, expectedSeq)),
        catch: (error) => error instanceof SeqConflict || error instanceof LogCorrupted ? error : storeFailure("checkpoint")(error)
      }),
    setAlarm: () => Effect.void,
    getAlarm: () => Effect.succeed(undefined),
    deleteAlarm: () => Effect.void,
    list: () => Effect.succeed({ items: [] }),
    summary: () => Effect.succeed(undefined),
    delete: () => Effect.void
  }
}

/** How often, and how many times, a step's next attempt reads the state for the service to make its retry due. */
const READY_POLL_MS = 200
const READY_POLLS = 50

/** Where the CallbackStarted event of an update sits in the batch being written. */
interface CallbackSlot {
  readonly written: Array<LogEvent>
  readonly at: number
}

const assignCallbackId = (waiting: Map<string, CallbackSlot>, op: WireOperation) => {
  const slot = op.Id === undefined ? undefined : waiting.get(op.Id)
  const issued = op.CallbackDetails?.CallbackId
  if (slot === undefined || issued === undefined) return
  const event = slot.written[slot.at]!
  if (event._tag === "CallbackStarted") slot.written[slot.at] = { ...event, callbackId: issued }
  waiting.delete(op.Id!)
}
