/**
 * map over 10,000 one-step items (maxConcurrency 100) against 10,000 sequential steps, on the in-memory store.
 * Target: the map costs at most twice the sequential steps. Prints a table.
 */
import { Effect } from "effect"
import { durable } from "../src/index.ts"
import { createTestRunner } from "../src/testing/index.ts"

const N = 10_000
const sequential = durable("sequential", async (n: number, ctx) => {
  for (let i = 0; i < n; i++) await ctx.step(async () => i)
  return n
})
const mapped = durable("mapped", async (n: number, ctx) => {
  const result = await ctx.map(Array.from({ length: n }, (_, i) => i), async (item, i) => await item.step(async () => i), { maxConcurrency: 100 })
  return result.successCount
})

const runner = createTestRunner({ functions: [sequential, mapped] })
let transactions = 0
const append = runner.store.append
runner.store.append = (id, events, expected) => Effect.andThen(Effect.sync(() => void transactions++), append(id, events, expected))

const time = async (functionName: string, n: number) => {
  const executionId = `${functionName}-${Math.random()}`
  transactions = 0
  const t0 = performance.now()
  await runner.engine((e) => e.start({ functionName, input: n, executionId }))
  const view = await runner.engine((e) => e.awaitEnd(executionId))
  const ms = performance.now() - t0
  if (view.status !== "SUCCEEDED") throw new Error(`${functionName}: ${view.status} ${JSON.stringify(view.error)}`)
  return { ms, transactions, operations: view.operations.length }
}

for (let i = 0; i < 2; i++) {
  await time("sequential", 1000)
  await time("mapped", 1000)
}
const seq = await time("sequential", N)
const map = await time("mapped", N)
console.table([
  { workload: `${N.toLocaleString("en")} sequential steps`, ms: seq.ms.toFixed(1), "us per item": (seq.ms * 1000 / N).toFixed(1), "store transactions": seq.transactions, operations: seq.operations },
  { workload: `map of ${N.toLocaleString("en")} one-step items, maxConcurrency 100`, ms: map.ms.toFixed(1), "us per item": (map.ms * 1000 / N).toFixed(1), "store transactions": map.transactions, operations: map.operations },
  { workload: "ratio map / sequential (target <= 2)", ms: (map.ms / seq.ms).toFixed(2), "us per item": "", "store transactions": "", operations: "" }
])
await runner.dispose()
