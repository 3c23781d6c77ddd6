/**
 * Whether an ended execution's parent (the execution that invoked it) has yet to hear of its end. The object tells
 * it after the end's write (execution-host.ts `tellParent`) and marks it told under NOTIFIED; until then the object
 * owes it (its alarm stays near), and the execution may not be deleted: a parent that reloaded then would find no
 * child, and start it anew.
 */
import { Effect } from "effect"
import { ExecutionNotEnded } from "reprise/engine"
import { eventKey, type ExecutionSummary, type LogEvent } from "reprise/store"
import type { SyncKvStorage } from "./cf-types.ts"

export const NOTIFIED = "reprise:parent-notified"

/** The parent the execution's start names, if any. */
export const parentOf = (kv: SyncKvStorage) => kv.get<Extract<LogEvent, { _tag: "ExecutionStarted" }>>(eventKey(1))?.parent

/** A run that continued as new leaves the parent to the run that ends the chain (its ExecutionStarted names it). */
export const parentOwed = (kv: SyncKvStorage, summary: ExecutionSummary): boolean =>
  summary.endedAt !== undefined && summary.status !== "CONTINUED_AS_NEW" && kv.get(NOTIFIED) === undefined && parentOf(kv) !== undefined

/** A delete refused while the parent is owed the outcome (told first: see the host's deleteExecution), else undefined. */
export const refusedWhileParentOwed = (kv: SyncKvStorage, executionId: string, summary: ExecutionSummary | undefined) =>
  summary !== undefined && parentOwed(kv, summary)
    ? Effect.fail(new ExecutionNotEnded({ executionId, status: summary.status, parentNotTold: parentOf(kv)!.executionId }))
    : undefined
