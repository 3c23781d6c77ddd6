import { Schema } from "effect"

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
  reason: Schema.String
}) {
  override get message() {
    return `Store ${this.operation} failed: ${this.reason}`
  }
}
