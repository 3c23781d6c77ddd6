/**
 * The engine of `map` and `parallel`: one child context per item (or a virtual one, FLAT), started in index order
 * at most `maxConcurrency` at a time, until the completion policy says stop. The aggregate is stored with the
 * batch's CONTEXT operation, so a finished batch replays without running anything.
 */
import {
  type BatchItem,
  batchItem,
  BatchResult,
  type BatchRecord,
  type BatchSummary,
  type CompletionConfig,
  type CompletionReason,
  itemError,
  LETTER_STATUS,
  STATUS_LETTER,
  summaryOf
} from "./batch-result.ts"
import type { ErrorObject } from "../log/events.ts"
import { type ChildRun, runChildContext } from "./child-context.ts"
import { afterTurn } from "./replay-order.ts"
import { type Begun, ContextCore } from "./context-core.ts"
import { toErrorRecord } from "./error-story.ts"
import { ChildContextError, RecordedError, revived, toErrorObject } from "./errors.ts"
import { deserializeWith, serializeWith } from "./serdes-call.ts"
import { runOwned } from "./usage-tracker.ts"
import { markBatchFinished } from "./finished-batches.ts"
import { type Serdes, serdesContext } from "./serdes.ts"

export type Nesting = "NESTED" | "FLAT"

export interface BatchItemSpec<O> {
  readonly name: string
  readonly run: (core: ContextCore) => Promise<O>
}

export interface BatchRun<O> {
  readonly iterationSubType: "MapIteration" | "ParallelBranch"
  readonly items: ReadonlyArray<BatchItemSpec<O>>
  readonly maxConcurrency?: number | undefined
  readonly completionConfig?: CompletionConfig | undefined
  readonly itemSerdes?: Serdes<O> | undefined
  readonly serdes?: Serdes<BatchResult<O>> | undefined
  readonly summaryGenerator?: ((result: BatchResult<O>) => string) | undefined
  readonly nesting?: Nesting | undefined
}

type Outcome<O> = { readonly ok: true; readonly value: O } | { readonly ok: false; readonly error: ChildContextError }

export const runBatch = <O>(core: ContextCore, begun: Begun, run: BatchRun<O>): Promise<BatchResult<O>> => {
  const session = core.session
  const itemSerdes = run.itemSerdes ?? session.serdes.defaultSerdes
  const context = serdesContext(session.executionId, begun.id)
  const total = run.items.length
  /**
   * What each item's child context stored (its result through the item serdes): the batch keeps that payload as
   * it is, so the item serdes run once per item, as in AWS's SDK, not a second time over the value they produced.
   */
  const payloads = new Map<number, string | undefined>()
  /** The values the items' child contexts read back from those payloads: the batch's own read-back reuses them. */
  const values = new Map<number, O>()

  // The stored form: every item's own payload, so item serdes apply on replay as on first run.
  const recordSerdes: Serdes<BatchResult<O>> = {
    serialize: async (result) => {
      if (result === undefined) return undefined
      const payloadOf = async (item: BatchItem<O>) =>
        payloads.has(item.index) ? payloads.get(item.index) : await serializeWith(itemSerdes, item.result, context)
      const items = await Promise.all(result.all.map(async (item) => ({
        i: item.index,
        ...(item.name === undefined ? {} : { n: item.name }),
        s: STATUS_LETTER[item.status],
        ...(item.status === "SUCCEEDED" ? optional("r", await payloadOf(item)) : {}),
        ...(item.error === undefined ? {} : { e: toErrorObject(item.error), ...causeRecord(item.error.cause) })
      })))
      return JSON.stringify({ reason: result.completionReason, items } satisfies BatchRecord)
    },
    deserialize: async (data) => {
      if (data === undefined) return undefined
      // This run's items were read back already: their values are taken as they are (no second deserialize).
      const resultOf = async (item: BatchRecord["items"][number]): Promise<O> =>
        values.has(item.i) && payloads.has(item.i) && payloads.get(item.i) === item.r
          ? values.get(item.i)!
          : (await deserializeWith(itemSerdes, item.r, context)) as O
      const record = JSON.parse(data) as BatchRecord
      const items = await Promise.all(record.items.map(async (item): Promise<BatchItem<O>> =>
        batchItem(item.i, item.n, LETTER_STATUS[item.s], {
          ...(item.s === "S" ? { result: await resultOf(item) } : {}),
          ...(item.e === undefined ? {} : { error: itemError(item.e, item.c) })
        })))
      return new BatchResult(items, record.reason)
    }
  }

  const custom = run.serdes
  const child: ChildRun<BatchResult<O>> = {
    // A custom serdes may read back a plain object: it is made a BatchResult again, as AWS's SDK does.
    serdes: custom === undefined ? recordSerdes : {
      serialize: (result, serdesContext) => custom.serialize(result, serdesContext),
      deserialize: async (data, serdesContext) => restoreBatchResult(await custom.deserialize(data, serdesContext), (index) => run.items[index]?.name)
    },
    summarize: (result) => run.summaryGenerator?.(result) ?? JSON.stringify(summaryOf(result, total)),
    toError: (error, thrown) => thrown ?? revived(ChildContextError, error),
    body: (batchCore, summary) => drive(batchCore, run, summary === undefined ? undefined : parseSummary(summary), payloads, values)
  }
  return runChildContext(core, begun, child)
}

/** What a failed item threw, for its record: type, message and causes (no stack: a batch may fail thousands). */
const causeRecord = (cause: unknown): { c?: ErrorObject } => {
  if (cause === undefined) return {}
  const { stackTrace: _, ...record } = toErrorRecord(cause)
  return { c: record.causes === undefined ? record : { ...record, causes: record.causes.map(({ stackTrace: _, ...c }) => c) } }
}

/**
 * What a custom batch serdes read back, as a BatchResult when it has the shape of one (its `all` and
 * `completionReason`, item errors made errors again); anything else is returned as it is, as AWS's SDK does.
 */
/** `nameOf`: the item names, which AWS's items (and so their JSON) do not carry. */
const restoreBatchResult = <O>(data: unknown, nameOf: (index: number) => string | undefined): BatchResult<O> | undefined => {
  if (data instanceof BatchResult || typeof data !== "object" || data === null || !Array.isArray((data as { all?: unknown }).all)) {
    return data as BatchResult<O> | undefined
  }
  const plain = data as { all: Array<BatchItem<O> & { error?: unknown }>; completionReason?: CompletionReason }
  const items = plain.all.map((item): BatchItem<O> => {
    const error = item.error
    const outcome = "result" in item ? { result: item.result as O } : {}
    const name = item.name ?? nameOf(item.index)
    if (error === undefined || error === null || error instanceof ChildContextError) {
      return batchItem(item.index, name, item.status, { ...outcome, ...(error instanceof ChildContextError ? { error } : {}) })
    }
    // A ChildContextError written as JSON keeps its errorType and name, not its message (not enumerable).
    const fields = error as { errorType?: unknown; name?: unknown; errorMessage?: unknown; message?: unknown; errorData?: unknown }
    const text = (value: unknown) => (typeof value === "string" ? value : undefined)
    return batchItem(item.index, name, item.status, {
      ...outcome,
      error: itemError({
        errorType: text(fields.errorType) ?? text(fields.name) ?? "ChildContextError",
        errorMessage: text(fields.errorMessage) ?? text(fields.message) ?? "",
        ...(text(fields.errorData) === undefined ? {} : { errorData: text(fields.errorData)! })
      })
    })
  })
  return new BatchResult(items, plain.completionReason ?? "ALL_COMPLETED")
}

const optional = <K extends string>(key: K, value: string | undefined) => (value === undefined ? {} : { [key]: value })

const parseSummary = (summary: string): BatchSummary | undefined => {
  try {
    const parsed = JSON.parse(summary) as BatchSummary
    return typeof parsed.statuses === "string" ? parsed : undefined
  } catch {
    return undefined
  }
}

/** Runs the items; with a summary (the replay of a batch too large to store) it re-drives only what had run. */
const drive = <O>(
  core: ContextCore,
  run: BatchRun<O>,
  summary: BatchSummary | undefined,
  payloads: Map<number, string | undefined>,
  values: Map<number, O>
): Promise<BatchResult<O>> => {
  const total = run.items.length
  const limit = run.maxConcurrency ?? Number.POSITIVE_INFINITY
  const outcomes: Array<Outcome<O> | undefined> = new Array(total)
  const started: Array<boolean> = new Array(total).fill(false)
  let next = 0
  let running = 0
  let succeeded = 0
  let failed = 0

  return new Promise((resolve) => {
    let done = false
    const finish = (reason: CompletionReason) => {
      done = true
      // Marked at once, before the result is stored: an item that goes on from here starts nothing (AWS's rule).
      if (core.parentId !== undefined) markBatchFinished(core.session, core.parentId)
      const all: Array<BatchItem<O>> = []
      for (let index = 0; index < total; index++) {
        if (!started[index]) continue
        const name = run.items[index]!.name
        const outcome = outcomes[index]
        all.push(
          outcome === undefined
            ? batchItem(index, name, "STARTED")
            : outcome.ok
            ? batchItem(index, name, "SUCCEEDED", { result: outcome.value })
            : batchItem(index, name, "FAILED", { error: outcome.error })
        )
      }
      resolve(new BatchResult(all, reason))
    }

    const decide = (): CompletionReason | undefined => {
      if (summary !== undefined) {
        const pending = [...summary.statuses].some((letter, i) => (letter === "S" || letter === "F") && outcomes[i] === undefined)
        return pending ? undefined : summary.reason
      }
      return completionReason(run.completionConfig, { succeeded, failed, total, started, outcomes, items: run.items })
    }

    const settle = (index: number, outcome: Outcome<O>) => {
      if (done) return // cut off by the completion policy: the batch's result is already decided
      outcomes[index] = outcome
      running--
      if (outcome.ok) succeeded++
      else failed++
      const reason = decide()
      if (reason !== undefined) finish(reason)
      else launch()
    }

    // A custom predicate is asked before each item starts too (AWS's order), and no item starts once it says
    // complete: one that says so at once runs none (the parity probe: Reprise ran every item).
    const custom = run.completionConfig !== undefined && "shouldComplete" in run.completionConfig && typeof run.completionConfig.shouldComplete === "function"
    const launch = () => {
      while (!done && next < total && running < limit) {
        if (custom && summary === undefined) {
          const reason = decide()
          if (reason !== undefined) {
            if (running === 0) finish(reason) // else the next item to end finds it complete and finishes
            break
          }
        }
        const index = next++
        const letter = summary?.statuses[index]
        if (letter === "-") continue
        started[index] = true
        const item = run.items[index]!
        if (letter === "R") {
          core.reserveId() // its position stays taken, its body does not run again
          continue
        }
        running++
        startItem(core, run, item, (payload) => payloads.set(index, payload)).then(
          (value) => {
            values.set(index, value)
            settle(index, { ok: true, value })
          },
          (error) => settle(index, { ok: false, error: error instanceof ChildContextError ? error : new ChildContextError(String(error)) })
        )
      }
      if (!done && running === 0 && next >= total) finish(summary?.reason ?? "ALL_COMPLETED")
    }

    launch()
  })
}

/** `stored` hears the payload the item's child context stored (or replayed), the one its value was read from. */
const startItem = <O>(core: ContextCore, run: BatchRun<O>, item: BatchItemSpec<O>, stored: (payload: string | undefined) => void): Promise<O> => {
  if (run.nesting === "FLAT") {
    // A virtual iteration context: no operation of its own, its operations hang off the batch.
    const virtual = new ContextCore(core.session, core.reserveId(), core.parentId)
    const label = `child context "${virtual.parentId}" (${JSON.stringify(item.name)})`
    return runOwned({ kind: "context", core: virtual, label, name: item.name }, () => item.run(virtual)).catch((thrown) => {
      const error = toErrorObject(thrown)
      throw new ChildContextError(error.errorMessage, thrown, error.errorData)
    })
  }
  const begun = core.begin("CONTEXT", run.iterationSubType, item.name)
  if (begun === undefined) return new Promise(() => undefined)
  const serdes = run.itemSerdes ?? core.session.serdes.defaultSerdes
  return afterTurn(begun, runChildContext(core, begun, {
    batchItem: true,
    // The child context reads its value back from the payload (first run and replay alike): that payload is kept.
    serdes: {
      serialize: (value, context) => serdes.serialize(value, context),
      deserialize: (payload, context) => {
        stored(payload)
        return serdes.deserialize(payload, context)
      }
    },
    // On replay (nothing thrown) caused by the recorded error, as the first run was by the thrown one.
    toError: (error, thrown) => new ChildContextError(error.errorMessage, thrown ?? new RecordedError(error), error.errorData),
    body: (itemCore) => item.run(itemCore)
  }))
}

interface Progress<O> {
  readonly succeeded: number
  readonly failed: number
  readonly total: number
  readonly started: ReadonlyArray<boolean>
  readonly outcomes: ReadonlyArray<Outcome<O> | undefined>
  readonly items: ReadonlyArray<BatchItemSpec<O>>
}

/**
 * The completion policy, asked after every item that ends (AWS's order): a custom `shouldComplete` decides alone;
 * else a failure tolerance exceeded (any failure when no threshold is set), then every item done, then
 * `minSuccessful` reached.
 */
const completionReason = <O>(config: CompletionConfig | undefined, p: Progress<O>): CompletionReason | undefined => {
  if (config !== undefined && "shouldComplete" in config && typeof config.shouldComplete === "function") {
    const decision = config.shouldComplete({
      successCount: p.succeeded,
      failureCount: p.failed,
      completedCount: p.succeeded + p.failed,
      totalCount: p.total,
      items: p.items.map((item, index) => {
        const outcome = p.outcomes[index]
        const status = outcome === undefined ? (p.started[index] ? "STARTED" : undefined) : outcome.ok ? "SUCCEEDED" : "FAILED"
        return { index, name: item.name, ...(status === undefined ? {} : { status }) }
      })
    })
    if (decision.complete) return decision.outcome === "FAILED" ? "CUSTOM_COMPLETION_FAILED" : "CUSTOM_COMPLETION_SUCCEEDED"
    return p.succeeded + p.failed === p.total ? "ALL_COMPLETED" : undefined
  }
  // No threshold at all (no config, `{}`, or only undefined fields): fail fast, as AWS's SDK does.
  const limits = config as Exclude<CompletionConfig, { shouldComplete: unknown }> | undefined
  if (limits === undefined || (limits.toleratedFailureCount === undefined && limits.toleratedFailurePercentage === undefined && limits.minSuccessful === undefined)) {
    if (p.failed > 0) return "FAILURE_TOLERANCE_EXCEEDED"
  } else {
    if (limits.toleratedFailureCount !== undefined && p.failed > limits.toleratedFailureCount) return "FAILURE_TOLERANCE_EXCEEDED"
    if (limits.toleratedFailurePercentage !== undefined && (p.failed * 100) / p.total > limits.toleratedFailurePercentage) {
      return "FAILURE_TOLERANCE_EXCEEDED"
    }
  }
  // Every item done is ALL_COMPLETED even when that also reached minSuccessful (AWS checks it first).
  if (p.succeeded + p.failed === p.total) return "ALL_COMPLETED"
  if (limits?.minSuccessful !== undefined && p.succeeded >= limits.minSuccessful) return "MIN_SUCCESSFUL_REACHED"
  return undefined
}
