/**
 * The lifecycle bus port: how the lifecycle feed of `GET /v1/events` hears the changes written on other hosts of one
 * store (several hosts on one PostgreSQL, design.md). Without it a host hears only its own writes, so an engine with
 * the Ownership port leaves its feed out and `GET /v1/events` polls the listing (which misses changes shorter than a
 * poll). With it, each host sends the changes it writes and delivers the others' to its own streams.
 *
 * The bus is live and may lose a change (a host that dies between its write and the send); a client lists the
 * executions to catch up, as after any reconnect.
 */
import { Context } from "effect"
import type { LifecycleChange } from "./lifecycle-feed.ts"

export interface LifecycleBusShape {
  /** A change this host wrote, for the other hosts. */
  readonly publish: (change: LifecycleChange) => void
  /** Where the changes the other hosts wrote go (called once, by the engine). */
  readonly onChange: (deliver: (change: LifecycleChange) => void) => void
}

export const LifecycleBus = Context.Reference<LifecycleBusShape | undefined>("reprise/engine/LifecycleBus", {
  defaultValue: () => undefined
})
