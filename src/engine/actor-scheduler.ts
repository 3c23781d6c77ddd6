/**
 * The actors' scheduler (issue 19, item 7). Actors run on microtasks: a step's append wakes its actor without a
 * trip through the event loop (the default scheduler's setImmediate per wake-up cost more than the rest of a step).
 * But a run of microtasks starves everything else: a busy engine never lets Node accept a connection or read a
 * socket (a health check waited 14 s during 10,000 starts). So microtasks serve one slice of SLICE_MS; a wake-up
 * after that goes through the event loop (setImmediate where the runtime has it, else setTimeout), and the slice
 * starts again in the next turn.
 */
import { Effect, Scheduler } from "effect"
import { realClearImmediate, realClearTimeout, realNow, realQueueMicrotask, realSetImmediate, realSetTimeout } from "../context/real-timers.ts"

/** How long actors may run on microtasks before the event loop gets a turn. */
export const SLICE_MS = 4

type Cancel = () => void
type Defer = (task: () => void) => Cancel

const nextTurn: Defer = (() => {
  const immediate = realSetImmediate
  const clear = realClearImmediate
  if (immediate !== undefined && clear !== undefined) {
    return (task) => {
      const handle = immediate(task)
      return () => clear(handle)
    }
  }
  return (task) => {
    const handle = realSetTimeout(task, 0)
    return () => realClearTimeout(handle)
  }
})()

const microtask: Defer = (task) => {
  let cancelled = false
  realQueueMicrotask(() => {
    if (!cancelled) task()
  })
  return () => {
    cancelled = true
  }
}

/** A defer function that uses microtasks within a slice of `sliceMs`, then the event loop. */
export const slicedDefer = (sliceMs: number = SLICE_MS, now: () => number = realNow): Defer => {
  /** When the current slice began (undefined: none yet in this turn). */
  let sliceStart: number | undefined
  const endSlice = () => {
    sliceStart = undefined
  }
  return (task) => {
    const at = now()
    if (sliceStart === undefined) {
      sliceStart = at
      nextTurn(endSlice) // the next turn of the loop starts a new slice
    }
    return at - sliceStart < sliceMs ? microtask(task) : nextTurn(task)
  }
}

/** The scheduler every actor of an engine runs on. */
export const makeActorScheduler = (sliceMs: number = SLICE_MS): Scheduler.Scheduler =>
  new Scheduler.MixedScheduler("sync", slicedDefer(sliceMs))

/**
 * How many rounds of microtasks a write that nobody waits on gives user code first (actor.ts): enough for a
 * handler to go from a child context's end through its promise chain to its next write or its return (16 sufficed
 * for a waitForCallback that ends the execution, 32 for a map's branches), where a full event-loop turn would cost
 * Node a setImmediate and other runtimes a clamped setTimeout.
 */
export const QUEUED_WRITE_ROUNDS = 32

/** Resumes after `rounds` rounds of microtasks: the promise reactions queued meanwhile, `rounds` deep, have run. */
export const afterMicrotasks = (rounds: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    let left = rounds
    const round = () => {
      if (--left > 0) realQueueMicrotask(round)
      else resume(Effect.void)
    }
    realQueueMicrotask(round)
  })
