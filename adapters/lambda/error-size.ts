/**
 * The service refuses an operation update that carries an error when it is 32 KiB or more once serialised ("Error
 * object size must be less than 32768 bytes"), and the invocation that sent it can only fail and be retried, with
 * the same error, for good. Reprise sends more than AWS's SDK does (the causes' messages and frames follow the
 * stack as "caused by" lines), so an error AWS's SDK records could be refused here: an update over the limit loses
 * stack lines from the end (the deepest causes first), then, if it must, the end of its message.
 *
 * The record is cut before it is written (`fitErrorRecord`, the engine's `fitError`), not only as it is sent: the
 * code that catches the failure in the first run then sees the error a replay reads back from the service.
 */
import { errorFromWire, errorToWire } from "reprise/aws"
import type { ErrorObject, OperationRef } from "reprise/store"
import { wireId } from "./operation-ids.ts"
import type { OperationUpdate } from "./wire.ts"

export const MAX_ERROR_UPDATE_BYTES = 32 * 1024

const encoder = new TextEncoder()
const sizeOf = (update: OperationUpdate) => encoder.encode(JSON.stringify(update)).length

const CUT = "… (cut to fit the service's 32 KiB error limit)"

/** `update` as it is when it fits (or has no error), else with its error made to fit. */
export const fitErrorUpdate = (update: OperationUpdate, maxBytes = MAX_ERROR_UPDATE_BYTES): OperationUpdate => {
  const error = update.Error
  if (error === undefined || sizeOf(update) < maxBytes) return update
  let fitted: OperationUpdate = update
  const frames = [...(error.StackTrace ?? [])]
  while (frames.length > 0) {
    frames.pop()
    const { StackTrace: _dropped, ...rest } = error
    fitted = { ...update, Error: frames.length === 0 ? rest : { ...rest, StackTrace: frames } }
    if (sizeOf(fitted) < maxBytes) return fitted
  }
  // The longest start of the message that fits (found by halving), unless what is over is not the message (a large
  // ErrorData, which is the caller's to keep whole: the service then refuses it, as it refuses AWS's SDK's).
  const base = fitted
  const message = base.Error?.ErrorMessage ?? ""
  const cut = (keep: number): OperationUpdate => {
    const end = keep > 0 && isHighSurrogate(message.charCodeAt(keep - 1)) ? keep - 1 : keep
    return { ...base, Error: { ...base.Error, ErrorMessage: `${message.slice(0, end)}${CUT}` } }
  }
  let low = 0
  let high = message.length
  while (low < high) {
    const middle = Math.ceil((low + high) / 2)
    if (sizeOf(cut(middle)) < maxBytes) low = middle
    else high = middle - 1
  }
  return cut(low)
}

/** Above any retry delay the service takes (a year): the widest envelope an error update of the operation can have. */
const LONGEST_DELAY_SECONDS = Number.MAX_SAFE_INTEGER

/**
 * `error` as the service will hold it once the update that carries it is sent: the same record when its widest
 * update (a RETRY with its delay) fits, else the record of that update cut to fit (the causes then stand as
 * "caused by" stack lines, as a replay reads them). Its update then fits as it is when log-to-updates.ts sends it.
 */
export const fitErrorRecord = (error: ErrorObject, operation: OperationRef): ErrorObject => {
  const update: OperationUpdate = {
    Id: wireId(operation.id),
    ...(operation.parentId === undefined ? {} : { ParentId: wireId(operation.parentId) }),
    ...(operation.name === undefined ? {} : { Name: operation.name }),
    Type: operation.type as OperationUpdate["Type"],
    SubType: operation.subType,
    Action: "RETRY",
    Error: errorToWire(error),
    StepOptions: { NextAttemptDelaySeconds: LONGEST_DELAY_SECONDS }
  }
  const fitted = fitErrorUpdate(update)
  return fitted === update ? error : errorFromWire(fitted.Error, error.errorMessage)
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff
