/**
 * AWS's local runner environment, set up and torn down without losing the test worker's messages.
 *
 * `setupTestEnvironment({ skipTime: true })` installs @sinonjs/fake-timers with its defaults, which fake
 * `process.nextTick` too, and Node delivers each IPC message to a child process through `process.nextTick`. Vitest's
 * worker, for its part, swaps `process.nextTick` for the real one around each RPC call and puts back, one tick later,
 * whatever it found. When the runner's teardown uninstalls the clock in between, Vitest puts back the fake of a
 * clock that no longer ticks; a message delivered through it (the main process's answer to the worker's
 * `onTaskUpdate`) is never seen. The worker then waits for that answer for good, never reports its file finished,
 * and the whole `vitest run` hangs after printing the file as passed: 2 of 4 CI runs, and 6 of 94 runs of
 * reprise-extras.test.ts alone.
 *
 * Time skipping needs the clock's timers and Date, not its nextTick. So while the environment is up,
 * `process.nextTick` is pinned to a stand-in that calls Node's own: assignments to it (the fake clock's, Vitest's)
 * are ignored, and the stand-in, not Node's function, takes the properties the fake clock writes on what it finds.
 */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"

const nodeNextTick = process.nextTick
const ownDescriptor = Object.getOwnPropertyDescriptor(process, "nextTick")
const standIn: typeof process.nextTick = (callback, ...args) => nodeNextTick(callback, ...args)

const pin = () =>
  Object.defineProperty(process, "nextTick", {
    configurable: true,
    enumerable: ownDescriptor?.enumerable ?? true,
    get: () => standIn,
    set: () => undefined
  })

const unpin = () =>
  Object.defineProperty(process, "nextTick", ownDescriptor ?? { configurable: true, enumerable: true, writable: true, value: nodeNextTick })

export const setUpRunnerEnvironment = async (options: { readonly skipTime: boolean }): Promise<void> => {
  pin()
  try {
    await LocalDurableTestRunner.setupTestEnvironment(options)
  } catch (error) {
    unpin()
    throw error
  }
}

export const tearDownRunnerEnvironment = async (): Promise<void> => {
  try {
    await LocalDurableTestRunner.teardownTestEnvironment()
  } finally {
    unpin()
  }
}
