/**
 * A function of `ticks` steps, each of which waits until the test opens its gate: the test decides when each
 * event is written. Gates are per run (`input.run`), so one function serves several executions of a test.
 */
import { durable } from "../../src/index.ts"

interface Gate {
  readonly promise: Promise<void>
  readonly open: () => void
}

export const gatedTicks = (name: string, ticks: number) => {
  const gates = new Map<string, Array<Gate>>()
  const gatesOf = (run: string) => {
    let list = gates.get(run)
    if (list === undefined) {
      list = Array.from({ length: ticks }, () => {
        let open!: () => void
        const promise = new Promise<void>((resolve) => (open = resolve))
        return { promise, open }
      })
      gates.set(run, list)
    }
    return list
  }
  const fn = durable(name, async (input: { run: string }, ctx) => {
    let total = 0
    for (let i = 0; i < ticks; i++) {
      total += await ctx.step(`tick-${i}`, async () => {
        await gatesOf(input.run)[i]!.promise
        return i
      })
    }
    return total
  })
  /** Opens every gate, so that no step body is left hanging when the test ends. */
  const openAll = () => {
    for (const list of gates.values()) for (const gate of list) gate.open()
  }
  return { fn, gatesOf, openAll }
}
