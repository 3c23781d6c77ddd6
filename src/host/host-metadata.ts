/**
 * The HostMetadata port: small server settings kept in the store (the callback-signing secret), so that they
 * survive restarts and every process on the same store shares them.
 */
import { Context, type Effect } from "effect"
import type { StoreFailure } from "../store/store-errors.ts"

export interface HostMetadataShape {
  /** The value kept under `key`; when there is none, `value` is stored and returned (the first writer wins). */
  keep(key: string, value: string): Effect.Effect<string, StoreFailure>
}

export class HostMetadata extends Context.Service<HostMetadata, HostMetadataShape>()("reprise/host/HostMetadata") {}
