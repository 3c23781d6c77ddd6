/** What an engine is built with (`Engine.layer(options)`). */
import type { Clock, Effect } from "effect"
import type { FetchTransport } from "../context/fetch.ts"
import type { InvocationInfo } from "../context/session.ts"
import type { ErrorObject, OperationRef } from "../log/events.ts"
import type { StoreFailure } from "../store/store-errors.ts"
import type { CallbackIdCodec } from "./callback-ids.ts"
import type { FlowSlot } from "./flow-slots.ts"
import type { InvokerShape } from "./invoker.ts"
import type { DurableFunction } from "./registry.ts"

export interface EngineOptions {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly maxPayloadBytes?: number
  /**
   * The largest serialised result an execution may end with (default `maxPayloadBytes`). Lambda returns the result
   * in the invocation's response rather than storing it as a payload: there it may grow to the response's 6 MB.
   */
  readonly maxResultBytes?: number
  /**
   * An operation's error as the store will keep it (default: whole). Lambda's service refuses an error update of
   * 32 KiB or more, so reprise/lambda cuts the record here: the code that goes on after the failure sees the error
   * a replay reads back, not a longer one that only the first run had.
   */
  readonly fitError?: (error: ErrorObject, operation: OperationRef) => ErrorObject
  /** How `ctx.fetch` sends requests (default: the runtime's global fetch). */
  readonly fetch?: FetchTransport
  /** The invocation running the handlers (Lambda's context, request and tenant ids): `ctx.lambdaContext`, the logging context. */
  readonly invocation?: InvocationInfo
  readonly callbackIds?: CallbackIdCodec
  /**
   * The clock of one execution; the test runner gives each its own virtual clock (an invoked child shares its
   * parent's, passed as `parentExecutionId`). Default: the ambient Clock.
   */
  readonly clockFor?: (executionId: string, parentExecutionId?: string) => Clock.Clock
  /** Where the children that `ctx.invoke` starts run (default: in this engine; see invoker.ts). */
  readonly invoker?: InvokerShape
  /** Told each time a step body starts (the test runner counts body runs with it). */
  readonly onStepBody?: (executionId: string, step: { readonly id: string; readonly name?: string | undefined }) => void
  /**
   * False where the store drops events that are not operations (Lambda's service keeps only operations): then
   * `ctx.patched` fails the execution with a ConfigurationError instead of flipping its answer on the next replay.
   */
  readonly keepsPatchMarkers?: boolean
  /**
   * Asked before an execution out of memory is loaded to handle a message; a failure refuses the message. The host
   * refuses while the execution's writes are failing and its next retry is not yet due (store-failure-retry.ts), so
   * that client retries do not replay it, and re-run its cut-off step body, on every request.
   */
  readonly loadGate?: (executionId: string) => Effect.Effect<void, StoreFailure>
  /** The time of flow control's queues, rate windows and debounce periods (the test runner's; default the ambient Clock). */
  readonly flowClock?: Clock.Clock
  /**
   * Flow control kept outside this engine (Cloudflare: a coordinating Durable Object per function, which decides
   * and writes the queue). The engine then keeps no queue, slots or windows of its own: a start of a function with
   * limits runs at once (the host admitted it), and each of its executions gets the slot `slot` returns, which the
   * actor takes before step bodies and gives back when blocked or ended, as with the engine's own slots.
   */
  readonly externalFlow?: {
    readonly slot: (executionId: string, fn: DurableFunction) => FlowSlot | undefined
    /**
     * Step-level limits (`ctx.step(…, { concurrencyKey, limit })`) counted outside this engine: resolves with the
     * release once the body may run. Without it they are counted in this engine (step-limits.ts), or in the FlowLedger
     * with several hosts (step-limits-shared.ts).
     */
    readonly stepLimit?: (key: string, limit: number, executionId: string, wanted: () => boolean) => Promise<() => void>
  }
}

