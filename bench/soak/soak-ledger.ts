/**
 * The crash soak's verdict (bench/soak/soak.ts): reads the ledger the step bodies wrote outside the database and
 * the executions' histories, and counts what the report prints.
 */
import { existsSync, readFileSync } from "node:fs"
import type { LedgerLine } from "./soak-functions.ts"

export interface Run {
  readonly r: string
  readonly g: number
  readonly began: number
  ended?: number
}

/** The ledger's runs per step key (torn or unreadable lines are counted, not fatal). */
export const readLedger = (path: string) => {
  const runs = new Map<string, Map<string, Run>>()
  let torn = 0
  if (!existsSync(path)) return { runs, torn }
  for (const text of readFileSync(path, "utf8").split("\n")) {
    if (text === "") continue
    let line: LedgerLine
    try {
      line = JSON.parse(text) as LedgerLine
    } catch {
      torn++
      continue
    }
    let ofKey = runs.get(line.key)
    if (ofKey === undefined) runs.set(line.key, ofKey = new Map())
    const run = ofKey.get(line.r)
    if (line.k === "b") ofKey.set(line.r, { r: line.r, g: line.g, began: line.t })
    else if (run !== undefined) run.ended = line.t
  }
  return { runs, torn }
}

export interface HistoryEvent {
  readonly _tag: string
  readonly seq: number
  readonly at: number
  readonly id?: string
  readonly name?: string
  readonly result?: string
  readonly until?: number
  readonly callbackId?: string
}

export interface StepVerdict {
  /** Steps committed (StepSucceeded of a ledgered body). */
  steps: number
  /** Body runs that began after their step's result was committed (must be 0). */
  runsAfterCommit: number
  /** Body runs that were not the committed one and began before it was (at-least-once: a kill mid-body). */
  runsBeforeCommit: number
  /** Committed results whose run is missing from the ledger, or never ended there (must be 0). */
  committedWithoutRun: number
  /** Steps whose result was committed twice (must be 0). */
  committedTwice: number
}

export const emptyVerdict = (): StepVerdict => ({ steps: 0, runsAfterCommit: 0, runsBeforeCommit: 0, committedWithoutRun: 0, committedTwice: 0 })

/** Names of the soak's ledgered steps (the callback's submitter step writes no ledger). */
const LEDGERED = /^(s\d+|work|before|after|ask|record)$/

/** Compares one execution's committed steps with the ledger's runs of them. */
export const judgeSteps = (executionId: string, events: ReadonlyArray<HistoryEvent>, runs: Map<string, Map<string, Run>>, into: StepVerdict) => {
  const seen = new Set<string>()
  for (const event of events) {
    if (event._tag !== "StepSucceeded" || event.name === undefined || !LEDGERED.test(event.name)) continue
    const key = `${executionId}:${event.id}`
    if (seen.has(key)) {
      into.committedTwice++
      continue
    }
    seen.add(key)
    into.steps++
    const committed = JSON.parse(event.result ?? "null") as string
    const ofKey = runs.get(key) ?? new Map<string, Run>()
    const run = ofKey.get(committed)
    if (run === undefined || run.ended === undefined) into.committedWithoutRun++
    for (const other of ofKey.values()) {
      if (other.r === committed) continue
      if (other.began > event.at) into.runsAfterCommit++
      else into.runsBeforeCommit++
    }
  }
}

/** How late each wait fired: its WaitSucceeded's time minus the time it was due. */
export const waitLateness = (events: ReadonlyArray<HistoryEvent>): Array<{ until: number; fired: number }> => {
  const due = new Map<string, number>()
  const out: Array<{ until: number; fired: number }> = []
  for (const event of events) {
    if (event._tag === "WaitStarted" && event.id !== undefined && event.until !== undefined) due.set(event.id, event.until)
    if (event._tag === "WaitSucceeded" && event.id !== undefined && due.has(event.id)) out.push({ until: due.get(event.id)!, fired: event.at })
  }
  return out
}

export const quantile = (xs: ReadonlyArray<number>, q: number) =>
  xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!
