/**
 * The ExecutionStore of one Lambda invocation. Its log is the service's state, translated once when the
 * invocation starts (`load`); every append becomes checkpoint calls (batched within the service's limits, each
 * consuming the current checkpoint token and returning the next). The service completes waits, callbacks and
 * invokes and re-invokes the function, so there are no alarms to keep. The execution's end is not checkpointed:
 * the handler returns it (`outcome`).
 *
 * A CALLBACK START answers with the callback id the service issued; it is set on the CallbackStarted event
 * before the append succeeds, so the engine records the service's id (see ExecutionStoreShape.append).
 */
import { Effect } from "effect"
import type { LogEvent } from "../../src/log/events.ts"
import type { ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { SeqConflict, StoreFailure } from "../../src/store/store-errors.ts"
import { batchUpdates } from "./checkpoint-batches.ts"
import { CheckpointFailedError, classifyCheckpointError } from "./checkpoint-errors.ts"
import { makeUpdateTranslator } from "./log-to-updates.ts"
import type { DurableExecutionClient, OperationUpdate, WireOperation } from "./wire.ts"
import type { TranslatedLog } from "./wire-to-log.ts"

export type ExecutionEnd = Extract<LogEvent, { readonly _tag: "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionStopped" | "ExecutionTimedOut" }>

export interface InvocationStore extends ExecutionStoreShape {
  /** The execution's end, once the engine has written it. */
  outcome(): ExecutionEnd | undefined
  /** The checkpoint failure that stopped this invocation, if one did. */
  failure(): CheckpointFailedError | undefined
  /** How many checkpoint calls this invocation made. */
  checkpointCalls(): number
}

export interface InvocationStoreOptions {
  readonly client: DurableExecutionClient
  readonly executionArn: string
  readonly checkpointToken: string
  readonly log: TranslatedLog
}

const isEnd = (event: LogEvent): event is ExecutionEnd =>
  event._tag === "ExecutionSucceeded" || event._tag === "ExecutionFailed" || event._tag === "ExecutionStopped" ||
  event._tag === "ExecutionTimedOut"

export const makeInvocationStore = (options: InvocationStoreOptions): InvocationStore => {
  const { client, executionArn } = options
  const events: Array<LogEvent> = [...options.log.events]
  const translator = makeUpdateTranslator(options.log.operations)
  let token = options.checkpointToken
  let seq = events.length
  let end: ExecutionEnd | undefined
  let failed: CheckpointFailedError | undefined
  let calls = 0

  const checkpoint = async (updates: Array<OperationUpdate>) => {
    try {
      calls++
      const response = await client.checkpoint({ DurableExecutionArn: executionArn, CheckpointToken: token, Updates: updates })
      if (response.CheckpointToken) token = response.CheckpointToken
      return response.NewExecutionState?.Operations ?? []
    } catch (error) {
      throw new CheckpointFailedError(`Checkpoint failed: ${(error as Error)?.message ?? String(error)}`, classifyCheckpointError(error), error)
    }
  }

  /** The service's callback ids for CALLBACK STARTs it did not echo back (found by reading the state). */
  const findCallbackIds = async (missing: Map<string, { callbackId: string }>) => {
    let marker: string | undefined
    do {
      const page = await client.getExecutionState({ DurableExecutionArn: executionArn, CheckpointToken: token, MaxItems: 1000, ...(marker ? { Marker: marker } : {}) })
      for (const op of page.Operations ?? []) assignCallbackId(missing, op)
      marker = page.NextMarker || undefined
    } while (marker !== undefined && missing.size > 0)
  }

  const write = async (batch: ReadonlyArray<LogEvent>, expectedSeq: number): Promise<void> => {
    if (failed !== undefined) throw failed
    if (expectedSeq !== seq) throw new SeqConflict({ executionId: executionArn, expectedSeq, actualSeq: seq })
    const updates: Array<OperationUpdate> = []
    const callbacks = new Map<string, { callbackId: string }>()
    let reached: ExecutionEnd | undefined
    for (const event of batch) {
      if (isEnd(event)) reached ??= event
      for (const update of translator.updatesFor(event)) {
        updates.push(update)
        if (event._tag === "CallbackStarted") callbacks.set(update.Id, event as { callbackId: string })
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
    events.push(...batch)
    seq = expectedSeq + batch.length
    if (reached !== undefined) end ??= reached
  }

  return {
    outcome: () => end,
    failure: () => failed,
    checkpointCalls: () => calls,
    load: () => Effect.sync(() => ({ events: [...events], seq })),
    append: (_executionId, batch, expectedSeq) =>
      Effect.tryPromise({
        try: () => write(batch, expectedSeq),
        catch: (error) => error instanceof SeqConflict ? error : new StoreFailure({ operation: "checkpoint", reason: (error as Error)?.message ?? String(error) })
      }),
    setAlarm: () => Effect.void,
    getAlarm: () => Effect.succeed(undefined),
    deleteAlarm: () => Effect.void,
    list: () => Effect.succeed({ items: [] }),
    summary: () => Effect.succeed(undefined),
    delete: () => Effect.void
  }
}

const assignCallbackId = (waiting: Map<string, { callbackId: string }>, op: WireOperation) => {
  const event = op.Id === undefined ? undefined : waiting.get(op.Id)
  const issued = op.CallbackDetails?.CallbackId
  if (event === undefined || issued === undefined) return
  event.callbackId = issued // the engine applies this very event once the append succeeds
  waiting.delete(op.Id!)
}
