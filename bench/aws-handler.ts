/**
 * A handler written with AWS's SDK run three ways, side by side: as a Reprise function (`awsHandler`, Reprise's
 * in-memory test runner), the same body written with Reprise's API (same runner), and AWS's SDK under AWS's own
 * local runner (its reference). N sequential steps, then the same with a wait in the middle (an invocation that
 * suspends and one that replays N/2 steps). Opt-in, never part of `npm test`:
 *   node --conditions=reprise-source bench/aws-handler.ts      (STEPS=1000 ROUNDS=3 by default)
 */
import { createHash } from "node:crypto"
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { durable } from "../src/index.ts"
import { awsHandler, md5Hex } from "../src/aws/index.ts"
import { createTestRunner } from "../src/testing/index.ts"

const STEPS = Number(process.env.STEPS ?? 1000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)

const body = (withWait: boolean) => async (n: number, ctx: any) => {
  let sum = 0
  for (let i = 0; i < n; i++) {
    if (withWait && i === n / 2) await ctx.wait("middle", { seconds: 1 })
    sum += await ctx.step(`s${i}`, async () => i)
  }
  return sum
}

type Way = "awsHandler (Reprise runner)" | "Reprise API (Reprise runner)" | "AWS SDK (AWS local runner)"
const WAYS: ReadonlyArray<Way> = ["awsHandler (Reprise runner)", "Reprise API (Reprise runner)", "AWS SDK (AWS local runner)"]

const runOnce = async (way: Way, withWait: boolean): Promise<number> => {
  const expected = (STEPS * (STEPS - 1)) / 2
  const started = performance.now()
  if (way === "AWS SDK (AWS local runner)") {
    const runner = new LocalDurableTestRunner({ handlerFunction: withDurableExecution(body(withWait)) })
    const result = await runner.run({ payload: STEPS })
    const ms = performance.now() - started
    if (result.getResult() !== expected) throw new Error(`${way}: ${result.getStatus()} ${JSON.stringify(result.getError())}`)
    // The local runner adds a fixed delay at the end of a run: count its invocations' own time instead.
    return result.getInvocations().reduce((sum, i) => sum + (i.endTimestamp!.getTime() - i.startTimestamp!.getTime()), 0) || ms
  }
  const fn = way === "awsHandler (Reprise runner)"
    ? awsHandler("bench", withDurableExecution(body(withWait)))
    : durable("bench", body(withWait))
  const runner = createTestRunner({ functions: [fn] })
  const execution = await runner.run("bench", STEPS)
  const ms = performance.now() - started
  await runner.dispose()
  if (execution.result !== expected) throw new Error(`${way}: ${execution.status} ${JSON.stringify(execution.error)}`)
  return ms
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false })
const rows: Array<Record<string, string>> = []
try {
  for (const withWait of [false, true]) {
    const times = new Map<Way, Array<number>>(WAYS.map((w) => [w, []]))
    for (let round = 0; round < ROUNDS; round++) for (const way of WAYS) times.get(way)!.push(await runOnce(way, withWait))
    const reference = median(times.get("Reprise API (Reprise runner)")!)
    for (const way of WAYS) {
      const ms = median(times.get(way)!)
      rows.push({
        scenario: withWait ? `${STEPS} steps, a wait halfway (2 invocations)` : `${STEPS} sequential steps`,
        way,
        "median ms": ms.toFixed(0),
        "ms per step": (ms / STEPS).toFixed(3),
        "vs Reprise API": `${(ms / reference).toFixed(2)}x`
      })
    }
  }
} finally {
  await LocalDurableTestRunner.teardownTestEnvironment()
}
console.table(rows)

// Wire ids: the hash the core computes in TypeScript (no node:crypto there) against node:crypto's, on positional ids.
const ids = Array.from({ length: 200_000 }, (_, i) => `${i % 50}-${i}-3`)
const hashRows: Array<Record<string, string>> = []
const timeIt = (hash: (text: string) => string) => {
  const started = performance.now()
  for (const id of ids) hash(id)
  return performance.now() - started
}
const typescript: Array<number> = []
const native: Array<number> = []
for (let round = 0; round < ROUNDS; round++) {
  typescript.push(timeIt(md5Hex))
  native.push(timeIt((text) => createHash("md5").update(text).digest("hex")))
}
for (const [way, times] of [["md5Hex (src/aws/md5.ts)", typescript], ["node:crypto createHash", native]] as const) {
  const ms = median([...times])
  hashRows.push({ way, "median ms": ms.toFixed(0), "µs per id": ((ms / ids.length) * 1000).toFixed(2) })
}
console.table(hashRows)
process.exit(0)
