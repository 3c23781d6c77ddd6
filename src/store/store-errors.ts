import { Effect, Schema } from "effect"

/** An append whose expected seq is not the stored one: another writer owns the execution. */
export class SeqConflict extends Schema.TaggedError<SeqConflict>()("SeqConflict", {
  executionId: Schema.String,
  expectedSeq: Schema.Number,
  actualSeq: Schema.Number
}) {
  override get message() {
    return `Execution ${this.executionId}: expected to append after seq ${this.expectedSeq}, but the log is at seq ${this.actualSeq}`
  }
}

/** The store could not be reached or failed underneath (disk, network, storage API). */
export class StoreFailure extends Schema.TaggedError<StoreFailure>()("StoreFailure", {
  operation: Schema.String,
  reason: Schema.String,
  /** What the backend threw, kept for the operator's logs (it is also the error's `cause`). */
  cause: Schema.optional(Schema.Defect()),
  /** When trying again makes sense, if known (the host's backoff after failed writes: WRITES_FAILING). */
  retryAfterMs: Schema.optional(Schema.Number)
}) {
  override get message() {
    return `Store ${this.operation} failed: ${this.reason}`
  }
}

/**
 * The operation of a StoreFailure that refuses to load an execution whose writes failed until its retry is due
 * (src/host/store-failure-retry.ts). The failure itself was logged when the write failed.
 */
export const WRITES_FAILING = "writesFailing"

/** Whether `error` is the load gate's refusal (WRITES_FAILING), not a fault of its own. */
export const isWritesFailing = (error: unknown): error is StoreFailure =>
  error instanceof StoreFailure && error.operation === WRITES_FAILING

/**
 * Whatever a backend threw, as a StoreFailure of `operation` that keeps it as its cause. A StoreFailure passes
 * through unchanged, so a helper deep in a backend may throw one with a better reason.
 */
export const storeFailure = (operation: string) => (thrown: unknown): StoreFailure =>
  thrown instanceof StoreFailure ? thrown : new StoreFailure({
    operation,
    reason: thrown instanceof Error ? thrown.message : String(thrown),
    cause: thrown
  })

/** Synchronous backend work as an Effect: whatever it throws is a StoreFailure of `operation`. */
export const attemptStore = <A>(operation: string, work: () => A): Effect.Effect<A, StoreFailure> =>
  Effect.try({ try: work, catch: storeFailure(operation) })

/** The same for a backend's promises: a rejection is a StoreFailure of `operation`. */
export const attemptStorePromise = <A>(operation: string, work: () => PromiseLike<A>): Effect.Effect<A, StoreFailure> =>
  Effect.tryPromise({ try: () => work(), catch: storeFailure(operation) })
