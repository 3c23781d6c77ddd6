/** The engine's service shape: the client API (execution-client.ts), plus what a host drives. */
import type { Effect } from "effect"
import type { LogEvent, NewEvent } from "../log/events.ts"
import type { LogCorrupted } from "../log/log-corrupted.ts"
import type { SeqConflict, StoreFailure } from "../store/store-errors.ts"
import type { ChildOutcome } from "./actor-messages.ts"
import type { FunctionNotFound, InvalidRequest } from "./engine-errors.ts"
import type { EvictOptions } from "./eviction.ts"
import type { ExecutionClientShape, ParentRef } from "./execution-client.ts"

/**
 * The engine: the client API, plus what a host drives. Test-only reads are on EngineProbe (engine-probe.ts),
 * provided beside it by `Engine.layer`.
 */
export interface EngineShape extends ExecutionClientShape {
  /** Always here (optional only for clients that forward elsewhere): ExecutionClientShape.delete. */
  readonly delete: NonNullable<ExecutionClientShape["delete"]>
  /**
   * The store's alarm for this execution went off. `false` when another host holds the execution (Ownership): that
   * host delivers the alarm itself, and the caller must leave it where it is (alarm-dispatcher.ts).
   */
  alarm(executionId: string): Effect.Effect<boolean, LogCorrupted | StoreFailure>
  /** A child started by `ctx.invoke` ended: its outcome goes to the parent's invoke operation. */
  childFinished(parent: ParentRef, outcome: ChildOutcome): Effect.Effect<void, LogCorrupted | StoreFailure>
  /**
   * Makes `events`, a fork's whole log built elsewhere (`forkedLog`: a Worker builds it from the source's history),
   * this engine's execution `executionId` and runs it. SeqConflict if the id is taken.
   */
  adopt(executionId: string, events: ReadonlyArray<LogEvent>): Effect.Effect<void, SeqConflict | InvalidRequest | FunctionNotFound | LogCorrupted | StoreFailure>
  /** Drops the execution's actor from memory, as a crash or an eviction would. */
  evict(executionId: string): Effect.Effect<void>
  /**
   * Lets the execution run until nothing more can happen without the clock or the outside world. A step body
   * still running after `maxMs` (default 60 s) is a defect; adapters whose steps may legitimately run longer
   * (Lambda, bounded by its own timeout) pass Infinity.
   */
  settle(executionId: string, options?: { readonly maxMs?: number }): Effect.Effect<void>
  /** True while user code (a step body) of the execution runs in this engine. */
  userCodeRunning(executionId: string): Effect.Effect<boolean>
  /**
   * What the outside did (Lambda's service): completions of waits, callbacks and invokes, taken in as the actor's
   * own events, and the steps whose retry it made due (`due`), whose next attempt then runs.
   */
  observe(executionId: string, events: ReadonlyArray<NewEvent>, due?: ReadonlyArray<string>): Effect.Effect<void, LogCorrupted | StoreFailure>
  /**
   * Drops from memory the actors that are evictable (ended, or suspended on durable operations) and have been for
   * two event-loop turns; with options, only those that will stay suspended a while (eviction.ts). Its next alarm,
   * callback or child completion loads it again. Returns how many went.
   */
  evictIdle(options?: EvictOptions): Effect.Effect<number>
  /**
   * Drops the watchdog of an execution in memory that waits on durable operations only: its alarm falls back to its
   * next timer, and it stays in memory (for a host that does not evict: a Durable Object). True while it is busy
   * (a step body runs): it keeps its watchdog, ask again later.
   */
  suspendIdle(executionId: string): Effect.Effect<boolean>
  /**
   * The host shuts down: no new step attempt begins from now on (each begins at the next start), and this resolves
   * once the attempts running have ended and their outcomes are written, or after `maxMs` (engine-drain.ts).
   */
  drain(maxMs: number): Effect.Effect<void>
}
