/**
 * The keys a start of a flow-controlled function counts under (docs/flow-control.md): its priority and the key of
 * each limit, from the parsed input. Shared by the in-memory flow control (flow-control.ts) and the one over a
 * FlowLedger (flow-shared.ts).
 */
import { Effect } from "effect"
import { InvalidRequest } from "./engine-errors.ts"
import type { FlowControl, FlowKey } from "./flow-options.ts"
import { keyFor, validPriority } from "./flow-options.ts"
import type { DurableFunction } from "./registry.ts"

/** What a start of a flow-controlled function is counted under. */
export interface FlowKeys {
  readonly priority: number
  readonly concurrencyKey?: string
  readonly rateKey?: string
  readonly debounceKey?: string
}

/** The input as key functions see it (and a result as the test runner shows it): parsed JSON, else the raw text. */
export const parsedInput = (input: string | undefined): unknown => {
  if (input === undefined) return undefined
  try {
    return JSON.parse(input)
  } catch {
    return input
  }
}

/** The keys a start of `fn` with this input counts under; a bad priority or a throwing key function refuses it. */
export const flowKeysOf = (fn: DurableFunction & { readonly flow: FlowControl }, input: string | undefined, priority: unknown) =>
  Effect.try({
    try: (): FlowKeys => {
      const value = fn.flow.concurrency?.key !== undefined || fn.flow.rateLimit?.key !== undefined || fn.flow.debounce?.key !== undefined ||
          (priority === undefined && fn.flow.priority !== undefined)
        ? parsedInput(input)
        : undefined
      const p = priority ?? fn.flow.priority?.(value) ?? 0
      if (!validPriority(p)) throw new TypeError(`a priority must be an integer from -1000 to 1000, got ${JSON.stringify(p)}`)
      return {
        priority: p,
        ...(fn.flow.concurrency === undefined ? {} : { concurrencyKey: keyFor(fn.flow.concurrency.key, value) }),
        ...(fn.flow.rateLimit === undefined ? {} : { rateKey: keyFor(fn.flow.rateLimit.key, value) }),
        ...(fn.flow.debounce === undefined ? {} : { debounceKey: keyFor(fn.flow.debounce.key, value) })
      }
    },
    catch: (error) => new InvalidRequest({ reason: `Flow control of ${JSON.stringify(fn.name)} refused the start: ${(error as Error).message}` })
  })

/**
 * The concurrency key of an execution loaded from the store: the one its queue entry recorded, else its input's
 * ("" when the key function refuses the input now: the execution began, and counts in the function's group).
 */
export const loadedConcurrencyKey = (key: FlowKey | undefined, input: string | undefined, queue: FlowKeys | undefined): string => {
  if (queue?.concurrencyKey !== undefined) return queue.concurrencyKey
  try {
    return keyFor(key, parsedInput(input))
  } catch {
    return ""
  }
}
