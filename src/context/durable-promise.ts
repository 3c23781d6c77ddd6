/**
 * The promise every durable operation returns. The operation starts when it is called (eagerly); awaiting only
 * says the caller now waits for it. A rejection nobody awaits is never reported as unhandled.
 */
/** One function for every promise's ignored rejection, not a closure per operation. */
const ignore = () => undefined

/** Reads a DurablePromise's operation (set in its class's static block: the field stays private). */
let readOperationId: (promise: DurablePromise<unknown>) => string | undefined

/**
 * The operation `promise` is the result of, when it is an operation's DurablePromise (a `ctx.promise` combinator's
 * own: write-releases.ts). A private field, not public API; not a WeakMap either, whose insert per operation cost
 * steps about 10%.
 */
export const operationIdOf = (promise: unknown): string | undefined =>
  promise instanceof DurablePromise ? readOperationId(promise) : undefined

export class DurablePromise<T> implements Promise<T> {
  readonly #inner: Promise<T>
  #executed = false
  #onAwaited: (() => void) | undefined

  readonly #operationId: string | undefined

  static {
    readOperationId = (promise) => promise.#operationId
  }

  /** `onAwaited` is told once, when the promise is first awaited (the engine's idle rule, actor-activity.ts). */
  constructor(inner: Promise<T>, onAwaited?: () => void, operationId?: string) {
    this.#inner = inner
    this.#onAwaited = onAwaited
    this.#operationId = operationId
    inner.then(undefined, ignore)
  }

  #markExecuted() {
    this.#executed = true
    const told = this.#onAwaited
    this.#onAwaited = undefined
    told?.()
  }

  /** True once the promise has been awaited (or `then`/`catch`/`finally` was called). */
  get isExecuted(): boolean {
    return this.#executed
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null
  ): Promise<R1 | R2> {
    this.#markExecuted()
    return this.#inner.then(onfulfilled, onrejected)
  }

  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected)
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    this.#markExecuted()
    return this.#inner.finally(onfinally)
  }

  readonly [Symbol.toStringTag] = "DurablePromise"
}
