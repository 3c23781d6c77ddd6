/**
 * Ownership: which host may run an execution, when several hosts share one store (reprise/postgres). Optional: an
 * engine without it owns every execution (one process per store: SQLite, Deno KV, a Durable Object per execution).
 *
 * The engine takes an execution before it loads or creates its actor and gives it back when the actor leaves memory
 * (evicted, or ended and dropped). A store that supports it also fences its appends on the same lease, so a host that
 * lost an execution (paused past its lease) writes nothing more to it: its append is refused as a SeqConflict, and
 * the actor stops as it does when another writer got there first.
 */
import { Context, type Effect } from "effect"
import type { StoreFailure } from "../store/store-errors.ts"

/**
 * The operation a StoreFailure names when the holder kept the execution past the asker's bound (it runs user code):
 * the store is fine, the execution is busy elsewhere (HTTP: 503 `execution-busy`, src/http/error-mapping.ts).
 */
export const HAND_OVER = "handOver"

/** Why an execution is asked back: another host wants it ("wanted", let it go once idle) or the lease lapsed ("lost"). */
export type Revocation = "wanted" | "lost"

export interface OwnershipShape {
  /**
   * Takes the execution for this host, or keeps it. "try" answers false at once when another host holds it; "wait"
   * asks the holder to let it go and waits for that (bounded), failing with a StoreFailure (a 503 over HTTP) when the
   * holder keeps it, as it does while the execution runs user code.
   */
  acquire(executionId: string, mode: "try" | "wait"): Effect.Effect<boolean, StoreFailure>
  /** Gives the execution back (its actor has left memory). */
  release(executionId: string): Effect.Effect<void>
  /** How the engine learns that an execution it holds is wanted elsewhere or already lost. One handler. */
  onRevoke(handler: (executionId: string, why: Revocation) => void): void
}

export class Ownership extends Context.Service<Ownership, OwnershipShape>()("reprise/engine/Ownership") {}
