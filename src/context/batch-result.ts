/**
 * BatchResult: what `map` and `parallel` return, with the AWS SDK's shape, and how it is stored in the log
 * (in full, or as a summary of statuses when the full record is over the payload limit).
 */
import type { ErrorObject } from "../log/events.ts"
import { ChildContextError, DurableOperationError, RecordedError, revived } from "./errors.ts"

export type BatchItemStatus = "SUCCEEDED" | "FAILED" | "STARTED"
export type CompletionReason =
  | "ALL_COMPLETED"
  | "MIN_SUCCESSFUL_REACHED"
  | "FAILURE_TOLERANCE_EXCEEDED"
  | "CUSTOM_COMPLETION_SUCCEEDED"
  | "CUSTOM_COMPLETION_FAILED"

export interface BatchItem<T> {
  readonly index: number
  /** The branch's or item's name (Reprise's; not in AWS's item, and so left out of its JSON). */
  readonly name?: string
  readonly status: BatchItemStatus
  readonly result?: T
  readonly error?: ChildContextError
}

/**
 * An item as AWS's SDK makes one: its fields in AWS's order (`result`, `error`, `index`, `status`), so that a
 * handler returning `JSON.stringify(batch)` answers what it does under AWS's SDK, and the name beside them, not
 * enumerable (it had put a `name` into every item of that answer).
 */
export const batchItem = <T>(
  index: number,
  name: string | undefined,
  status: BatchItemStatus,
  outcome: { readonly result?: T; readonly error?: ChildContextError | undefined } = {}
): BatchItem<T> => {
  const item: BatchItem<T> = {
    ...("result" in outcome ? { result: outcome.result as T } : {}),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    index,
    status
  }
  if (name !== undefined) Object.defineProperty(item, "name", { value: name, enumerable: false })
  return item
}

/** One item as `shouldComplete` sees it (AWS's name). */
export interface CompletionItemStatus {
  readonly index: number
  readonly name?: string
  readonly status?: BatchItemStatus
}

export interface CompletionStatus {
  readonly successCount: number
  readonly failureCount: number
  readonly completedCount: number
  readonly totalCount: number
  readonly items: ReadonlyArray<CompletionItemStatus>
}

/** A custom completion's outcome, as AWS's SDK names it (`completeBatch(CompletionOutcome.FAILED)`). */
export const CompletionOutcome = { SUCCEEDED: "SUCCEEDED", FAILED: "FAILED" } as const
export type CompletionOutcome = typeof CompletionOutcome[keyof typeof CompletionOutcome]

export type CompletionDecision = { readonly complete: false } | { readonly complete: true; readonly outcome?: CompletionOutcome }
export const continueBatch = (): CompletionDecision => ({ complete: false })
export const completeBatch = (outcome?: CompletionOutcome): CompletionDecision =>
  outcome === undefined ? { complete: true } : { complete: true, outcome }

/** Thresholds (AWS's name for this half of CompletionConfig). */
export interface ThresholdCompletionConfig {
  readonly minSuccessful?: number
  readonly toleratedFailureCount?: number
  /** 0-100; a failure rate exactly at the threshold is tolerated. */
  readonly toleratedFailurePercentage?: number
}

/** A policy of one's own (AWS's name for this half of CompletionConfig). */
export interface CustomCompletionConfig {
  readonly shouldComplete: (status: CompletionStatus) => CompletionDecision
}

export type CompletionConfig = ThresholdCompletionConfig | CustomCompletionConfig

/** `throwIfError()` on a batch that a custom policy failed without any failed item. */
export class BatchCompletionError extends DurableOperationError {
  readonly errorType = "BatchCompletionError"
  /** Why the batch counts as failed (AWS's signature: the reason first). */
  readonly completionReason: CompletionReason
  constructor(completionReason: CompletionReason, message?: string, cause?: unknown, errorData?: string) {
    super(message || `Batch completed as failed by shouldComplete (${completionReason})`, cause, errorData)
    this.completionReason = completionReason
  }
}

export class BatchResult<T> {
  readonly all: ReadonlyArray<BatchItem<T>>
  readonly completionReason: CompletionReason

  constructor(all: ReadonlyArray<BatchItem<T>>, completionReason: CompletionReason) {
    this.all = all
    this.completionReason = completionReason
  }

  succeeded(): ReadonlyArray<BatchItem<T>> {
    return this.all.filter((item) => item.status === "SUCCEEDED")
  }
  failed(): ReadonlyArray<BatchItem<T>> {
    return this.all.filter((item) => item.status === "FAILED")
  }
  started(): ReadonlyArray<BatchItem<T>> {
    return this.all.filter((item) => item.status === "STARTED")
  }
  get hasFailure(): boolean {
    return this.all.some((item) => item.status === "FAILED")
  }
  /** A custom completion's outcome decides it, whatever the items did (as AWS's SDK); else any failure fails it. */
  get status(): "SUCCEEDED" | "FAILED" {
    if (this.completionReason === "CUSTOM_COMPLETION_FAILED") return "FAILED"
    if (this.completionReason === "CUSTOM_COMPLETION_SUCCEEDED") return "SUCCEEDED"
    return this.hasFailure || this.completionReason === "FAILURE_TOLERANCE_EXCEEDED" ? "FAILED" : "SUCCEEDED"
  }
  get successCount(): number {
    return this.succeeded().length
  }
  get failureCount(): number {
    return this.failed().length
  }
  get startedCount(): number {
    return this.started().length
  }
  get totalCount(): number {
    return this.all.length
  }
  /** Throws the first item's error, or BatchCompletionError when a custom policy failed the batch. */
  throwIfError(): void {
    const failed = this.failed()[0]
    if (failed?.error !== undefined) throw failed.error
    if (this.completionReason === "CUSTOM_COMPLETION_FAILED") throw new BatchCompletionError(this.completionReason)
  }
  getResults(): Array<T> {
    return this.succeeded().map((item) => item.result as T)
  }
  getErrors(): Array<ChildContextError> {
    return this.failed().map((item) => item.error!)
  }
}

/** How a full BatchResult is stored: item results as their own serialised payloads. */
export interface BatchRecord {
  readonly reason: CompletionReason
  /** `c`: what the item threw (its type and message, and its recorded causes), kept so that `error.cause` says it. */
  readonly items: ReadonlyArray<{ readonly i: number; readonly n?: string; readonly s: "S" | "F" | "R"; readonly r?: string; readonly e?: ErrorObject; readonly c?: ErrorObject }>
}

/** Kept instead of the record when that is too large: one letter per item, S, F, R (started) or - (never started). */
export interface BatchSummary {
  readonly reason: CompletionReason
  readonly statuses: string
  readonly successCount: number
  readonly failureCount: number
}

export const STATUS_LETTER = { SUCCEEDED: "S", FAILED: "F", STARTED: "R" } as const
export const LETTER_STATUS = { S: "SUCCEEDED", F: "FAILED", R: "STARTED" } as const

export const summaryOf = (result: BatchResult<unknown>, total: number): BatchSummary => {
  const letters = Array.from({ length: total }, () => "-")
  for (const item of result.all) letters[item.index] = STATUS_LETTER[item.status]
  return { reason: result.completionReason, statuses: letters.join(""), successCount: result.successCount, failureCount: result.failureCount }
}

/**
 * A failed item's error read back: a ChildContextError whose `cause` is what the item threw, as recorded (its type
 * as the error's name, then its own recorded causes, nearest first, as every revived chain: an OmittedCauses count
 * or an AggregateError's inner error is no link of it), on first run and replay alike.
 */
export const itemError = (error: ErrorObject, cause?: ErrorObject): ChildContextError =>
  cause === undefined
    ? revived(ChildContextError, error)
    : new ChildContextError(error.errorMessage, new RecordedError(cause), error.errorData)
