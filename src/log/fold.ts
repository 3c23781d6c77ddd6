/**
 * The fold from events to state. Nothing but the log is stored as truth; every status below is derived here,
 * once when a log is loaded and then one event at a time as the actor appends.
 */
import type { ErrorObject, LogEvent, OperationSubType, OperationType } from "./events.ts"
import { contextKey, positionOf, topLevelId } from "./operation-id.ts"
import { TERMINAL_STATUS } from "./terminal-event.ts"

export type OperationStatus = "STARTED" | "PENDING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "STOPPED" | "CANCELLED"
/** PAUSED is what describe and list show for a RUNNING execution that is paused (`ExecutionState.paused`). */
export type ExecutionStatus = "QUEUED" | "RUNNING" | "PAUSED" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "STOPPED" | "CONTINUED_AS_NEW"

export interface OperationState {
  readonly id: string
  readonly parentId?: string
  readonly name?: string
  readonly type: OperationType
  readonly subType: OperationSubType
  status: OperationStatus
  startedAt: number
  endedAt?: number
  /** The seq of the event that ended it: replay settles recorded operations in this order (replay-order.ts). */
  endSeq?: number
  /** A callback's: the seq of its CallbackStarted, where its creation settled (replay-order.ts). */
  createdSeq?: number
  /** Steps: the attempt last started or finished (1-based). */
  attempt: number
  /** True while a step attempt has a StepStarted and no outcome. */
  attemptOpen: boolean
  result?: string
  error?: ErrorObject
  nextAttemptAt?: number
  /** When the attempt last begun was due: the retry's or poll's `nextAttemptAt` before it (wake-up latency). */
  attemptDueAt?: number
  until?: number
  callbackId?: string
  timeoutAt?: number
  heartbeatTimeoutMs?: number
  /** A callback whose result is checked against a schema (its CallbackStarted says so). */
  checked?: boolean
  lastHeartbeatAt?: number
  timedOutReason?: "timeout" | "heartbeat"
  functionName?: string
  childExecutionId?: string
  input?: string
  replayChildren?: boolean
}

export interface ExecutionState {
  readonly executionId: string
  readonly functionName: string
  /** Replaced while QUEUED by a debounced start that collapsed into this one. */
  input?: string
  /** A debounced start runs no earlier than this (moved by each start that collapses into it). */
  notBefore?: number
  readonly startedAt: number
  /** Moved by a rewind, which gives the execution a fresh timeout, and when a QUEUED execution is dequeued. */
  timeoutAt: number
  readonly retentionMs: number
  readonly parent?: { readonly executionId: string; readonly operationId: string }
  /** The function's version label: recorded at start, replaced by each rewind (the code that runs it now). */
  version?: string
  /** The W3C trace context recorded at start (src/log/trace-ids.ts). */
  readonly traceparent?: string
  /** A fork's source: the execution and the top-level operation its log was copied up to. */
  readonly forkedFrom?: { readonly executionId: string; readonly operationId: string }
  /** A run started by `ctx.continueAsNew`: the run before it. */
  readonly continuedFrom?: string
  /** The run that continues this one (status CONTINUED_AS_NEW). */
  continuedAs?: string
  /** How many times the execution was rewound (new invoke children take it in their ids, and spans theirs). */
  rewinds: number
  /** When the last rewind was written: the run since began then. */
  rewoundAt?: number
  /** The children of invokes a rewind forgot: still named after it, so a delete takes them (delete-dependents.ts). */
  forgottenChildren?: Array<string>
  /** The fold's status is never PAUSED: a paused execution is RUNNING with `paused` set. */
  status: ExecutionStatus
  /** Between ExecutionPaused and ExecutionResumed. */
  paused: boolean
  /** A stop asked while a saga ran: it compensates, then the execution ends STOPPED with this error. */
  stopRequested?: { readonly error?: ErrorObject }
  result?: string
  error?: ErrorObject
  endedAt?: number
  seq: number
  readonly operations: Map<string, OperationState>
  /** The highest child position recorded under each context ("" is the root). */
  readonly lastPosition: Map<string, number>
  /** Patch markers: `patchKey(context, patchId)` to the earliest position recorded there. */
  readonly patches: Map<string, number>
}

/** The key of a patch marker: the context that recorded it ("" is the root) and the patch id. */
export const patchKey = (contextId: string | undefined, patchId: string): string => `${contextKey(contextId)}\n${patchId}`

export const isTerminalOperation = (status: OperationStatus): boolean => status !== "STARTED" && status !== "PENDING"

/** Starts the state from the first event, which must be ExecutionStarted (decodeLog checks it). */
export const initialState = (first: Extract<LogEvent, { _tag: "ExecutionStarted" }>): ExecutionState => ({
  executionId: first.executionId,
  functionName: first.functionName,
  ...(first.input === undefined ? {} : { input: first.input }),
  ...(first.queue?.notBefore === undefined ? {} : { notBefore: first.queue.notBefore }),
  startedAt: first.at,
  timeoutAt: first.timeoutAt,
  retentionMs: first.retentionMs,
  ...(first.parent === undefined ? {} : { parent: first.parent }),
  ...(first.version === undefined ? {} : { version: first.version }),
  ...(first.traceparent === undefined ? {} : { traceparent: first.traceparent }),
  ...(first.forkedFrom === undefined ? {} : { forkedFrom: first.forkedFrom }),
  ...(first.continuedFrom === undefined ? {} : { continuedFrom: first.continuedFrom }),
  rewinds: 0,
  status: first.queue === undefined ? "RUNNING" : "QUEUED",
  paused: false,
  seq: first.seq,
  operations: new Map(),
  lastPosition: new Map(),
  patches: new Map()
})

const open = (state: ExecutionState, event: Extract<LogEvent, { id: string }>): OperationState => {
  // An at-least-once step's first event is its outcome; its operation began when the attempt did.
  const startedAt = "startedAt" in event && event.startedAt !== undefined ? event.startedAt : event.at
  const existing = state.operations.get(event.id)
  if (existing !== undefined) return existing
  // Optional fields set after the literal: spreading `{}` or `{ parentId }` into it cost ~5% of the engine's
  // CPU per step (issue 13), this runs once per operation.
  const created: { -readonly [K in keyof OperationState]: OperationState[K] } = {
    id: event.id,
    type: event.type,
    subType: event.subType,
    status: "STARTED",
    startedAt,
    attempt: 0,
    attemptOpen: false
  }
  if (event.parentId !== undefined) created.parentId = event.parentId
  if (event.name !== undefined) created.name = event.name
  state.operations.set(event.id, created)
  const key = contextKey(event.parentId)
  const position = positionOf(event.id)
  if (position > (state.lastPosition.get(key) ?? 0)) state.lastPosition.set(key, position)
  return created
}

const finish = (operation: OperationState, status: OperationStatus, event: { readonly at: number; readonly seq: number }) => {
  operation.status = status
  operation.endedAt = event.at
  operation.endSeq = event.seq
  operation.attemptOpen = false
}

/**
 * An attempt begins (its StepStarted, or the outcome of an attempt that wrote none): the retry or poll that was due
 * is now the attempt's due time. After a StepStarted its outcome finds nothing due and keeps it.
 */
const beginAttempt = (operation: OperationState) => {
  if (operation.nextAttemptAt === undefined) return
  operation.attemptDueAt = operation.nextAttemptAt
  delete operation.nextAttemptAt
}

/** Applies one event to the state in place. */
export const applyEvent = (state: ExecutionState, event: LogEvent): void => {
  state.seq = event.seq
  switch (event._tag) {
    case "ExecutionStarted":
      return
    case "ExecutionDequeued":
      state.status = "RUNNING"
      state.timeoutAt = event.timeoutAt
      return
    case "ExecutionInputReplaced":
      if (event.input === undefined) delete state.input
      else state.input = event.input
      state.notBefore = event.notBefore
      return
    case "ExecutionPaused":
      state.paused = true
      return
    case "ExecutionResumed":
      state.paused = false
      return
    case "ExecutionStopRequested":
      state.stopRequested = event.error === undefined ? {} : { error: event.error }
      return
    case "PatchMarked": {
      const key = patchKey(event.contextId, event.patchId)
      const known = state.patches.get(key)
      if (known === undefined || event.position < known) state.patches.set(key, event.position)
      return
    }
    case "ExecutionSucceeded":
      if (event.result !== undefined) state.result = event.result
      break
    case "ExecutionFailed":
      state.error = event.error
      break
    case "ExecutionStopped":
      if (event.error !== undefined) state.error = event.error
      break
    case "ExecutionTimedOut":
      state.error = { errorType: "ExecutionTimedOut", errorMessage: "The execution timed out" }
      break
    case "ExecutionContinuedAsNew":
      state.continuedAs = event.nextExecutionId
      break
    case "ExecutionRewound":
      state.rewoundAt = event.at
      if (event.version === undefined) delete state.version
      else state.version = event.version
      return rewind(state, event.fromOperation, event.timeoutAt)
    case "StepStarted": {
      const op = open(state, event)
      op.status = "STARTED"
      op.attempt = event.attempt
      op.attemptOpen = true
      beginAttempt(op)
      return
    }
    case "StepSucceeded": {
      const op = open(state, event)
      beginAttempt(op)
      op.attempt = event.attempt
      if (event.result !== undefined) op.result = event.result
      else delete op.result // a later poll's undefined state replaces the earlier one
      // An earlier attempt's failure is history now (AWS's succeeded steps carry none). Checked first: every step
      // folds here, and only a retried one has an error to drop.
      if (op.error !== undefined) delete op.error
      if (event.nextAttemptAt !== undefined) {
        op.status = "PENDING"
        op.attemptOpen = false
        op.nextAttemptAt = event.nextAttemptAt
        return
      }
      delete op.nextAttemptAt
      return finish(op, "SUCCEEDED", event)
    }
    case "StepFailed": {
      const op = open(state, event)
      beginAttempt(op)
      op.attempt = event.attempt
      op.error = event.error
      op.attemptOpen = false
      if (event.nextAttemptAt !== undefined) {
        op.status = "PENDING"
        op.nextAttemptAt = event.nextAttemptAt
        return
      }
      delete op.nextAttemptAt
      return finish(op, "FAILED", event)
    }
    case "WaitStarted":
      open(state, event).until = event.until
      return
    case "WaitSucceeded":
      return finish(open(state, event), "SUCCEEDED", event)
    case "CallbackStarted": {
      const op = open(state, event)
      op.callbackId = event.callbackId
      op.createdSeq = event.seq
      if (event.timeoutAt !== undefined) op.timeoutAt = event.timeoutAt
      if (event.heartbeatTimeoutMs !== undefined) op.heartbeatTimeoutMs = event.heartbeatTimeoutMs
      if (event.checked === true) op.checked = true
      op.lastHeartbeatAt = event.at
      return
    }
    case "CallbackHeartbeat":
      open(state, event).lastHeartbeatAt = event.at
      return
    case "CallbackSucceeded": {
      const op = open(state, event)
      if (event.result !== undefined) op.result = event.result
      return finish(op, "SUCCEEDED", event)
    }
    case "CallbackFailed": {
      const op = open(state, event)
      op.error = event.error
      return finish(op, "FAILED", event)
    }
    case "CallbackTimedOut": {
      const op = open(state, event)
      op.timedOutReason = event.reason
      return finish(op, "TIMED_OUT", event)
    }
    case "InvokeStarted": {
      const op = open(state, event)
      op.functionName = event.functionName
      op.childExecutionId = event.childExecutionId
      if (event.input !== undefined) op.input = event.input
      return
    }
    case "InvokeSucceeded": {
      const op = open(state, event)
      if (event.result !== undefined) op.result = event.result
      return finish(op, "SUCCEEDED", event)
    }
    case "InvokeFailed": {
      const op = open(state, event)
      op.error = event.error
      return finish(op, "FAILED", event)
    }
    case "InvokeTimedOut":
      return finish(open(state, event), "TIMED_OUT", event)
    case "InvokeStopped":
      return finish(open(state, event), "STOPPED", event)
    case "ContextStarted":
      open(state, event)
      return
    case "ContextSucceeded": {
      const op = open(state, event)
      if (event.result !== undefined) op.result = event.result
      if (event.replayChildren === true) op.replayChildren = true
      return finish(op, "SUCCEEDED", event)
    }
    case "ContextFailed": {
      const op = open(state, event)
      op.error = event.error
      return finish(op, "FAILED", event)
    }
  }
  // Only the terminal execution events reach here.
  state.status = TERMINAL_STATUS[event._tag]
  state.endedAt = event.at
}

/**
 * True when an event belongs to what a rewind or fork from top-level operation `position` keeps: the operations
 * before it (with their children) and the patch markers recorded before it began.
 */
export const keptBefore = (event: LogEvent, position: number): boolean => {
  if ("subType" in event) return positionOf(topLevelId(event.id)) < position
  if (event._tag !== "PatchMarked") return false
  return event.contextId === undefined ? event.position < position : positionOf(topLevelId(event.contextId)) < position
}

/** `ExecutionRewound`: the execution runs again from top-level operation `fromOperation`, which it forgets. */
const rewind = (state: ExecutionState, fromOperation: string, timeoutAt: number): void => {
  const from = positionOf(fromOperation)
  const forget = (id: string) => positionOf(topLevelId(id)) >= from
  for (const [id, op] of [...state.operations]) {
    if (!forget(id)) continue
    if (op.childExecutionId !== undefined) (state.forgottenChildren ??= []).push(op.childExecutionId)
    state.operations.delete(id)
  }
  state.lastPosition.clear()
  for (const op of state.operations.values()) {
    const key = contextKey(op.parentId)
    const position = positionOf(op.id)
    if (position > (state.lastPosition.get(key) ?? 0)) state.lastPosition.set(key, position)
  }
  for (const key of [...state.patches.keys()]) {
    const context = key.slice(0, key.indexOf("\n"))
    if (context === "" ? state.patches.get(key)! >= from : forget(context)) state.patches.delete(key)
  }
  state.status = "RUNNING"
  state.paused = false
  state.timeoutAt = timeoutAt
  state.rewinds++
  delete state.result
  delete state.error
  delete state.endedAt
  delete state.continuedAs
}

/** Folds a whole decoded log (non-empty, starting with ExecutionStarted). */
export const foldLog = (events: ReadonlyArray<LogEvent>): ExecutionState => {
  const first = events[0]
  if (first === undefined || first._tag !== "ExecutionStarted") throw new Error("foldLog: the log must start with ExecutionStarted")
  const state = initialState(first)
  for (let i = 1; i < events.length; i++) applyEvent(state, events[i]!)
  return state
}
