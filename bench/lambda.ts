/**
 * reprise/lambda against AWS's SDK on the same local runner (AWS's @aws/durable-execution-sdk-js-testing), side by
 * side: 1,000 sequential steps in one invocation, and the resume after a 1,000-step history (the invocation that
 * replays the history and finishes). Opt-in, never part of `npm test`:
 *   node bench/lambda.ts            (Node 24: node_modules/.bin/node bench/lambda.ts)
 *
 * The runner runs without skipTime (its fake setImmediate costs ~20 ms per checkpoint). Times are the runner's
 * own invocation timestamps (InvocationCompleted), so its fixed 100 ms end-of-run delay is not counted.
 */
import { withDurableExecution as awsWithDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { withDurableExecution } from "../adapters/lambda/index.ts"

const STEPS = Number(process.env.STEPS ?? 1000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)

const sequential = async (n: number, ctx: any) => {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ctx.step(async () => i)
  return sum
}

const stepsThenWait = async (n: number, ctx: any) => {
  for (let i = 0; i < n; i++) await ctx.step(async () => i)
  await ctx.wait({ seconds: 1 })
  return ctx.step("after", async () => n)
}

type Sdk = "reprise" | "aws"
const wrap = (sdk: Sdk, body: (n: number, ctx: any) => Promise<unknown>): any =>
  sdk === "aws" ? awsWithDurableExecution(body) : withDurableExecution(body)

/** Durations (ms) of each invocation of one run. */
const invocationTimes = async (sdk: Sdk, body: (n: number, ctx: any) => Promise<unknown>): Promise<Array<number>> => {
  const runner = new LocalDurableTestRunner({ handlerFunction: wrap(sdk, body) })
  const result = await runner.run({ payload: STEPS })
  if (result.getStatus() !== "SUCCEEDED") throw new Error(`${sdk}: ${result.getStatus()} ${JSON.stringify(result.getError())}`)
  return result.getInvocations().map((i) => i.endTimestamp!.getTime() - i.startTimestamp!.getTime())
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false })
const rows: Array<Record<string, string>> = []
try {
  const measure = async (label: string, pick: (sdk: Sdk) => Promise<number>) => {
    const times: Record<Sdk, Array<number>> = { reprise: [], aws: [] }
    for (let round = 0; round < ROUNDS; round++) {
      for (const sdk of ["aws", "reprise"] as const) times[sdk].push(await pick(sdk))
    }
    const r = median(times.reprise)
    const a = median(times.aws)
    rows.push({
      scenario: label,
      "reprise/lambda (ms)": r.toFixed(0),
      "AWS SDK (ms)": a.toFixed(0),
      "reprise per step (ms)": (r / STEPS).toFixed(3),
      "AWS per step (ms)": (a / STEPS).toFixed(3)
    })
  }
  await measure(`${STEPS} sequential steps, one invocation`, async (sdk) => (await invocationTimes(sdk, sequential))[0]!)
  await measure(`resume after a ${STEPS}-step history`, async (sdk) => {
    const times = await invocationTimes(sdk, stepsThenWait)
    if (times.length < 2) throw new Error(`${sdk}: expected a second invocation after the wait, got ${times.length}`)
    return times.at(-1)!
  })
} finally {
  await LocalDurableTestRunner.teardownTestEnvironment()
}
console.table(rows)
process.exit(0)
