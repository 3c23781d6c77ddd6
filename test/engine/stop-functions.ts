/**
 * The must-show's functions for stop reaching children: a parent that invokes a child (which waits five days)
 * and maps three items at once. Item 0's step body runs until its signal fires; items 1 and 2 wait on a gate that
 * is not durable, opened by the test after the stop, and then call a step. Every step body that starts is counted.
 */
import { durable } from "reprise"

export const stopFunctions = (prefix: string) => {
  let openGate!: () => void
  const gate = new Promise<void>((resolve) => (openGate = resolve))
  let markRunning!: () => void
  const running = new Promise<void>((resolve) => (markRunning = resolve))
  /** The step bodies that started, by name. */
  const bodies: Array<string> = []
  /** The reasons the running body's signal fired with (the error's name). */
  const aborts: Array<string> = []

  const child = durable(`${prefix}-child`, async (_: unknown, ctx) => {
    await ctx.wait("week", { days: 5 })
    return await ctx.step("child-after", () => void bodies.push("child-after"))
  })
  const parent = durable(`${prefix}-parent`, async (_: unknown, ctx) => {
    const invoked = ctx.invoke("child", `${prefix}-child`, {})
    const mapped = ctx.map("items", [0, 1, 2, 3, 4], async (itemCtx, item) => {
      if (item === 0) {
        return itemCtx.step("long", ({ signal }) => {
          bodies.push("long")
          markRunning()
          return new Promise<string>((resolve) =>
            signal.addEventListener("abort", () => {
              aborts.push((signal.reason as Error).name)
              resolve("cut off")
            }))
        })
      }
      await gate
      return itemCtx.step(`item-${item}`, () => void bodies.push(`item-${item}`))
    }, { maxConcurrency: 3 })
    await Promise.all([invoked, mapped])
    return ctx.step("after", () => void bodies.push("after"))
  })
  return { functions: [child, parent], bodies, aborts, running, openGate }
}
