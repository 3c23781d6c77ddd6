/** `ctx.waitForCondition`: poll a check durably until it says stop. (Being written: see issue 3.) */
import type { Begun, ContextCore } from "./context-core.ts"
import type { Duration } from "./duration.ts"
import type { DurableContextLogger } from "./logger.ts"
import type { Serdes } from "./serdes.ts"

export type WaitForConditionDecision = { readonly shouldContinue: true; readonly delay: Duration } | { readonly shouldContinue: false }
export type WaitForConditionCheck<T> = (state: T, context: { readonly logger: DurableContextLogger; readonly attempt: number }) => Promise<T> | T
export interface WaitForConditionConfig<T> {
  readonly initialState: T
  readonly waitStrategy: (state: T, attempt: number) => WaitForConditionDecision
  readonly serdes?: Serdes<T>
}

export const runWaitForCondition = async <T>(
  _core: ContextCore,
  _begun: Begun,
  _check: WaitForConditionCheck<T>,
  _config: WaitForConditionConfig<T>
): Promise<T> => {
  throw new Error("waitForCondition is not implemented yet")
}
