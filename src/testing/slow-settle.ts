/**
 * A settle that says why it may never end. An execution settles in milliseconds unless user code runs (a step body)
 * or its handler awaits a promise that is not a durable operation (a plain timer, a fetch outside a step), which the
 * test's virtual clock never moves. Without a word, such a test only timed out (Vitest's "Test timed out in 5000ms").
 */
import { realClearTimeout, realNow, realSetTimeout } from "../context/real-timers.ts"

/** How long a settle may take before the runner warns (once per settle). */
export const SLOW_SETTLE_MS = 2_000

export const settleSaying = async (
  executionId: string,
  settle: () => Promise<unknown>,
  stepBodyRuns: () => Readonly<Record<string, number>>
): Promise<void> => {
  const warning = realSetTimeout(() => {
    const runs = Object.entries(stepBodyRuns()).map(([name, count]) => `${name} ×${count}`).join(", ")
    console.warn(
      `reprise/testing: execution ${executionId} has not settled after ${SLOW_SETTLE_MS / 1000} s. A step body may still ` +
        `run (step bodies run so far: ${runs === "" ? "none" : runs}), or its handler awaits a promise that is not a ` +
        "durable operation (a plain timer or fetch outside a step), which the test's virtual time never moves: use " +
        "ctx.wait, or put the work in a step. A step's timeout counts real time, as its body runs in real time: a body " +
        "that hangs ends only when its timeout passes (or never, without one)."
    )
  }, SLOW_SETTLE_MS)
  try {
    await settle()
  } finally {
    realClearTimeout(warning)
  }
}

/** How many timers one drive fires, over SLOW_SETTLE_MS, before the runner says the execution may never end. */
export const LONG_DRIVE_TIMERS = 1_000

/** What to do about an execution that goes on firing timers: it may loop for ever (`for (;;) await ctx.wait(…)`). */
export const loopAdvice =
  "If its function loops for ever (a wait in an endless loop), it never ends under runner.run or settle(): drive it " +
  "with runner.start and execution.advanceTime, or end each run with ctx.continueAsNew."

/**
 * Counts the timers a drive fires and warns once when there are many and they have taken long. Each round costs
 * time in the number of operations, so an endless loop of waits under runner.run took minutes per 100,000 rounds,
 * and the test only timed out, saying nothing.
 */
export const longDriveWatch = (executionId: string) => {
  const began = realNow()
  let fired = 0
  let warned = false
  return (virtualNow: number): void => {
    fired++
    if (warned || fired < LONG_DRIVE_TIMERS || realNow() - began < SLOW_SETTLE_MS) return
    warned = true
    console.warn(
      `reprise/testing: execution ${executionId} has fired ${fired} timers and not ended yet (its virtual time is ` +
        `${new Date(virtualNow).toISOString()}). ${loopAdvice}`
    )
  }
}
