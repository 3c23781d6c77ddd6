/**
 * Engine benchmarks on the in-memory store (issue: core engine). Prints a table; never part of `npm test`.
 *   npm run bench            (or: node bench/engine.ts)
 */
import { durable } from "../src/index.ts"
import { createTestRunner } from "../src/testing/index.ts"

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const sequential = durable("sequential", async (n: number, ctx) => {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ctx.step(async () => i)
  return sum
})

/** n steps, then a one-second wait, then done: the wait is where we evict and measure the cold replay. */
const stepsThenWait = durable("steps-then-wait", async (n: number, ctx) => {
  for (let i = 0; i < n; i++) await ctx.step(async () => i)
  await ctx.wait({ seconds: 1 })
  return n
})

/** n steps with a one-second wait after every 10: many resumes. */
const resumes = durable("resumes", async (n: number, ctx) => {
  for (let i = 0; i < n; i++) {
    await ctx.step(async () => i)
    if (i % 10 === 9) await ctx.wait({ seconds: 1 })
  }
  return n
})

const runner = createTestRunner({ functions: [sequential, stepsThenWait, resumes] })
const rows: Array<Record<string, string | number>> = []
let ids = 0

const timeSequential = async (n: number) => {
  const executionId = `seq-${++ids}`
  const t0 = performance.now()
  await runner.engine((e) => e.start({ functionName: "sequential", input: n, executionId }))
  const view = await runner.engine((e) => e.awaitEnd(executionId))
  const ms = performance.now() - t0
  if (view.status !== "SUCCEEDED") throw new Error(`sequential ${n}: ${view.status}`)
  return ms
}

// Warm-up, then 1,000 sequential steps, 7 runs.
for (let i = 0; i < 3; i++) await timeSequential(1000)
const seqRuns: Array<number> = []
for (let i = 0; i < 7; i++) seqRuns.push(await timeSequential(1000))
rows.push({ workload: "1,000 sequential steps", "median ms": median(seqRuns).toFixed(2), "us per step": (median(seqRuns) * 1000 / 1000).toFixed(1), target: "<= 20 us/step" })

/** Builds a log of n steps that stops at a wait, evicts the actor, then times alarm -> cold replay -> end. */
const timeColdReplay = async (n: number) => {
  const execution = await runner.start("steps-then-wait", n)
  await execution.evict()
  const id = execution.executionId
  runner.clock(id).advance(1000)
  const t0 = performance.now()
  await runner.engine((e) => e.alarm(id))
  const view = await runner.engine((e) => e.awaitEnd(id))
  const ms = performance.now() - t0
  if (view.status !== "SUCCEEDED") throw new Error(`replay ${n}: ${view.status}`)
  return ms
}

// The first replays run before the JIT has compiled the hot paths; a server is measured warm.
const firstReplay = await timeColdReplay(10_000)
for (let i = 0; i < 3; i++) await timeColdReplay(1_000)
for (const n of [1_000, 10_000, 100_000]) {
  const times: Array<number> = []
  for (let r = 0; r < (n >= 100_000 ? 1 : 5); r++) times.push(await timeColdReplay(n))
  rows.push({ workload: `cold replay of ${n.toLocaleString("en")} steps`, "median ms": median(times).toFixed(2), "us per step": (median(times) * 1000 / n).toFixed(2), target: n === 10_000 ? "<= 50 ms" : "linear" })
}
rows.push({ workload: "cold replay of 10,000 steps, first run (JIT cold)", "median ms": firstReplay.toFixed(2), "us per step": (firstReplay * 100 / 1000).toFixed(2), target: "-" })

/**
 * n steps with a one-second wait after every 10. Each resume is an alarm; the harness waits for the actor to be
 * idle between them (engine.settle: a few event-loop turns), so "us per step" includes that fixed cost per resume.
 */
const timeResumes = async (n: number, evictEachTime: boolean) => {
  const execution = await runner.start("resumes", n)
  const id = execution.executionId
  const t0 = performance.now()
  for (let resume = 0; resume <= n; resume++) {
    if ((await runner.engine(() => runner.store.summary(id)))?.status !== "RUNNING") break
    if (evictEachTime) await execution.evict()
    const due = runner.probe((p) => p.nextOperationDue(id)) ?? (await runner.alarmOf(id))
    if (due === undefined) break
    await runner.fireAt(id, due)
  }
  const view = await runner.engine((e) => e.awaitEnd(id))
  const ms = performance.now() - t0
  if (view.status !== "SUCCEEDED") throw new Error(`resumes ${n}: ${view.status}`)
  return { ms, invocations: runner.probe((p) => p.invocations(id)) }
}

for (const [n, evict] of [[1_000, false], [10_000, false], [1_000, true], [3_000, true]] as const) {
  const { invocations, ms } = await timeResumes(n, evict)
  rows.push({
    workload: `${n.toLocaleString("en")} steps, a wait every 10, ${evict ? "evicted at each wait (replays)" : "warm (no replay)"}`,
    "median ms": ms.toFixed(1),
    "us per step": (ms * 1000 / n).toFixed(1),
    target: `${invocations} handler invocation(s)`
  })
}

/** n one-second waits in a row, driven by `runner.run` (its time skipping): each wait is one round of its loop. */
const waits = durable("waits", async (n: number, ctx) => {
  for (let i = 0; i < n; i++) await ctx.wait({ seconds: 1 })
  return n
})
const skipping = createTestRunner({ functions: [waits] })
for (const n of [500, 1_000, 2_000]) {
  const t0 = performance.now()
  const execution = await skipping.run("waits", n)
  const ms = performance.now() - t0
  if (execution.status !== "SUCCEEDED") throw new Error(`waits ${n}: ${execution.status}`)
  rows.push({
    workload: `runner.run of ${n.toLocaleString("en")} waits (time skipped)`,
    "median ms": ms.toFixed(1),
    "us per step": (ms * 1000 / n).toFixed(1),
    target: "linear (us per wait flat as n grows)"
  })
}
await skipping.dispose()

console.table(rows)
await runner.dispose()
