/**
 * The crash soak's durable functions (bench/soak/soak.ts), shared by every runtime's soak server. Each step body
 * appends to a ledger outside the database (one line when it begins, one when it ends, fsynced) and returns the id
 * of its run, so the driver can tell which run the log committed and whether any body ran after that commit.
 */
import { durable } from "../../src/index.ts"

/** A ledger line: a step body began (`b`) or ended (`e`) its run `r`, in server generation `g`, at `t`. */
export interface LedgerLine {
  readonly k: "b" | "e"
  /** The step's idempotency key: `<executionId>:<operationId>`. */
  readonly key: string
  readonly r: string
  readonly g: number
  readonly t: number
}

/**
 * Appends one line durably (the runtime's own fsynced append), or resolves once the line is durable elsewhere (the
 * workerd soak posts it to the driver, which fsyncs it before it answers).
 */
export type LedgerAppend = (line: LedgerLine) => void | Promise<void>

/**
 * `runPrefix` names this process's runs when the generation is not known inside it (workerd: the driver stamps the
 * generation on what it receives); it is called at the first run, not at module scope (workerd refuses randomness
 * there).
 */
export const soakFunctions = (append: LedgerAppend, generation: number, runPrefix: () => string = () => String(generation)) => {
  let runs = 0
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  /** A step body: ledger its begin, do a little "work", ledger its end, return its run id. */
  const body = async ({ idempotencyKey }: { readonly idempotencyKey: string }) => {
    const r = `${runPrefix()}.${++runs}`
    await append({ k: "b", key: idempotencyKey, r, g: generation, t: Date.now() })
    await sleep(Math.floor(Math.random() * 25))
    await append({ k: "e", key: idempotencyKey, r, g: generation, t: Date.now() })
    return r
  }

  const sequence = durable("soak-sequence", async (input: { readonly steps: number }, ctx) => {
    for (let i = 0; i < input.steps; i++) await ctx.step(`s${i}`, body)
    return input.steps
  })

  const fanOut = durable("soak-map", async (input: { readonly items: number }, ctx) => {
    const items = Array.from({ length: input.items }, (_, i) => i)
    const batch = await ctx.map("items", items, async (itemCtx) => {
      await itemCtx.step("work", body)
      return 1
    }, { maxConcurrency: 4 })
    return batch.getResults().reduce((sum: number, n) => sum + (n as number), 0)
  })

  const napper = durable("soak-wait", async (input: { readonly seconds: number }, ctx) => {
    await ctx.step("before", body)
    await ctx.wait("nap", { seconds: input.seconds })
    await ctx.step("after", body)
    return "woke"
  })

  const approval = durable("soak-callback", async (_: unknown, ctx) => {
    await ctx.step("ask", body)
    const answer = await ctx.waitForCallback<string>("answer", async () => undefined, { timeout: { hours: 1 } })
    await ctx.step("record", body)
    return answer
  })

  return [sequence, fanOut, napper, approval]
}
