import { Schema } from "effect"

/** A stored log that cannot be read back: a bad event, a gap in the sequence, or a missing start. */
export class LogCorrupted extends Schema.TaggedError<LogCorrupted>()("LogCorrupted", {
  executionId: Schema.String,
  seq: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `The log of execution ${this.executionId} is corrupt at seq ${this.seq}: ${this.reason}`
  }
}
