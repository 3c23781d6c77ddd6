/**
 * FlowLedger: flow control's counts kept outside the engine, shared by several hosts on one store (reprise/postgres).
 * Optional: without it the engine counts slots, rate windows and the queue in its own memory (flow-control.ts),
 * which is right only when one engine sees all of a function's executions. With it (flow-shared.ts), the queue is
 * the store's QUEUED executions as the ledger orders them, and every slot and start is counted by the ledger, each
 * decision taken atomically there, so the limits hold across hosts.
 */
import { Context, type Effect } from "effect"
import type { StoreFailure } from "../store/store-errors.ts"

/** What one take is counted under; `concurrency` and `rate` absent when the function declares no such limit. */
export interface LedgerTake {
  readonly functionName: string
  readonly executionId: string
  /** The caller's time (ms), for a ledger without a clock of its own (PostgreSQL counts on the database's). */
  readonly now: number
  readonly concurrency?: { readonly key: string; readonly limit: number }
  /**
   * `refuse`: the rate limit refuses (whenLimited "refuse"): a new start ("start", "check") is answered Full with
   * `rateOpensAt` once the starts in the key's window plus the QUEUED executions of the function and key (each takes
   * a place in a window when it leaves the queue) reach the limit; `rateOpensAt` is then when the window holds at
   * most limit - queued - 1 starts (one period on when queued >= limit).
   */
  readonly rate?: { readonly key: string; readonly limit: number; readonly periodMs: number; readonly refuse?: boolean }
  /**
   * "start": a new start that may skip the queue (only if nothing of the function is queued, no resumed execution
   * waits for a slot of its key, and a slot and the rate allow); "dequeue": a QUEUED execution that may leave the
   * queue (only if none queued before it with the same keys may go, and as "start" for the rest); "resume": an
   * execution that began already takes a slot before its next step (no rate counted; while it waits, its place
   * keeps queued starts of its key out); "check": a new start that is queued whatever the limits (a debounced
   * one) asks only whether its refusing rate limit refuses it: nothing is taken, the answer is Full (with
   * `rateOpensAt` when refused).
   */
  readonly mode: "start" | "dequeue" | "resume" | "check"
}

export type LedgerAnswer =
  /** `at`: the time it was counted at (in the rate window): a dequeue records it, so the log agrees with the ledger. */
  | { readonly _tag: "Taken"; readonly at: number }
  /** Not now. `rateOpensAt`: when the rate window has room again, if the rate is what is full. */
  | { readonly _tag: "Full"; readonly rateOpensAt?: number }

/** One QUEUED execution as the ledger orders the queue: priority (higher first), queue time, arrival. */
export interface LedgerEntry {
  readonly executionId: string
  /** The log's length now (a dequeue appends after it). */
  readonly seq: number
  readonly priority: number
  readonly concurrencyKey?: string
  readonly rateKey?: string
  readonly debounceKey?: string
  /** Not before this time (a debounced start): the latest of its queue's and its replacements' `notBefore`. */
  readonly notBefore: number
}

export interface FlowLedgerShape {
  /** Takes a slot (and counts a start in the rate window) if the limits allow it now, in one atomic decision. */
  take(request: LedgerTake): Effect.Effect<LedgerAnswer, StoreFailure>
  /**
   * Holds a slot of the key for an execution that was running user code when its host went down (found by a host at
   * its start), so that no queued start takes it first: for `forMs`, unless the execution takes it meanwhile (a
   * "resume" take, on any host) or this host gives it back. A slot still held by a live host is left to that host
   * (only kept from lapsing before `forMs`).
   */
  reserve(request: { readonly functionName: string; readonly executionId: string; readonly key: string; readonly forMs: number }): Effect.Effect<void, StoreFailure>
  /** Gives back the execution's slot, or its place among those waiting for one; wakes the hosts. */
  release(executionId: string): Effect.Effect<void, StoreFailure>
  /** The head of a function's queue, in order, at most `limit` entries. */
  queue(functionName: string, limit: number): Effect.Effect<ReadonlyArray<LedgerEntry>, StoreFailure>
  /** The places (1 first) of these QUEUED executions in their function's queue; one not queued is left out. */
  positions(functionName: string, executionIds: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, number>, StoreFailure>
  /** The QUEUED execution of this debounce key that later starts collapse into, if any. */
  debouncing(functionName: string, debounceKey: string): Effect.Effect<string | undefined, StoreFailure>
  /** Tells every host (this one too) that a function's queue may move: a slot was freed, a start was queued. */
  wake(functionName: string): Effect.Effect<void, StoreFailure>
  /**
   * How the engine learns that a queue may move (another host freed a slot, or the ledger's bounded poll ticked:
   * `undefined`, every function). Every handler given is called: the queues' (flow-shared.ts) and the step limits'
   * (step-limits-shared.ts, whose names are `step limit/<key>`).
   */
  onWake(handler: (functionName: string | undefined) => void): void
}

export class FlowLedger extends Context.Service<FlowLedger, FlowLedgerShape>()("reprise/engine/FlowLedger") {}
