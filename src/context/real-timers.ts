/**
 * The runtime's timers as they were when Reprise loaded. A test that fakes the global timers (`vi.useFakeTimers()`,
 * Vitest's default set) fakes them for its own code: the engine's turns, the test runner's, a slot's hand-back and a
 * step's timeout must still pass. Read at each call, a faked setImmediate or queueMicrotask hung every runner call
 * for ever, silently.
 */
const g = globalThis as unknown as {
  setImmediate?: (task: () => void) => unknown
  clearImmediate?: (handle: unknown) => void
}

export const realSetTimeout: typeof setTimeout = globalThis.setTimeout.bind(globalThis) as typeof setTimeout
export const realClearTimeout: typeof clearTimeout = globalThis.clearTimeout.bind(globalThis) as typeof clearTimeout
export const realQueueMicrotask: typeof queueMicrotask = globalThis.queueMicrotask.bind(globalThis)
/** setImmediate and clearImmediate where the runtime has them (Node, Deno; not Workers). */
export const realSetImmediate = g.setImmediate?.bind(globalThis)
export const realClearImmediate = g.clearImmediate?.bind(globalThis)

/** One turn of the event loop: setImmediate where the runtime has it (setTimeout(0) waits at least 1 ms in Node). */
export const macrotask = (): Promise<void> =>
  new Promise((resolve) => {
    if (realSetImmediate === undefined) realSetTimeout(resolve, 0)
    else realSetImmediate(resolve)
  })

/** The high-resolution clock as it was at load (Vitest's fake timers fake `performance` too). */
export const realNow: () => number = performance.now.bind(performance)

/** A real-time pause of `ms`. */
export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms))
