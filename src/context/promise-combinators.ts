/** `ctx.promise.all/allSettled/any/race`. (Being written: see issue 3.) */
import type { DurablePromise } from "./durable-promise.ts"
import type { DurableContext } from "./types.ts"

export interface PromiseCombinators {
  all<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<T>>
  all<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<T>>
  allSettled<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<PromiseSettledResult<T>>>
  allSettled<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<Array<PromiseSettledResult<T>>>
  any<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
  any<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
  race<T>(name: string | undefined, promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
  race<T>(promises: ReadonlyArray<DurablePromise<T>>): DurablePromise<T>
}

export const makePromiseCombinators = (_context: DurableContext): PromiseCombinators => {
  throw new Error("promise combinators are not implemented yet")
}
