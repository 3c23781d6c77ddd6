/**
 * What the replay-order fuzzes share (replay-order-fuzz.test.ts, replay-order-body-start-fuzz.test.ts and others): a
 * seeded generator, a run of one seed's handler to its end, completing its callbacks in a seeded order, evicted (or
 * crashed at every checkpoint) as the mode says, and the comparison of a seed's runs with its calm one
 * (`replaySeeds`). Runs of one seed must agree on what it returns.
 */
import type { DurableFunction } from "../../src/index.ts"
import { createTestRunner, type TestExecution } from "../../src/testing/index.ts"

/** mulberry32: a small seeded generator, the same sequence on every runtime. */
export const random = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `n` rounds of plain microtasks (an `await helper()` that does no I/O). */
export const plain = async (n: number) => {
  for (let i = 0; i < n; i++) await Promise.resolve()
}

/** Lanes of operation kinds from a seed (`minLanes` to `minLanes + 3` lanes of 1 to `maxOps` each), with depths of plain work. */
export interface FuzzPlan<Op> {
  readonly lanes: Array<Array<Op>>
  readonly depths: Array<number>
}

export const planOf = <Op>(seed: number, kinds: ReadonlyArray<Op>, depth: number, minLanes: number, maxOps: number): FuzzPlan<Op> => {
  const next = random(seed)
  const int = (n: number) => Math.floor(next() * n)
  const lanes = Array.from({ length: minLanes + int(4) }, () => Array.from({ length: 1 + int(maxOps) }, () => kinds[int(kinds.length)]!))
  return { lanes, depths: Array.from({ length: 64 }, () => int(depth + 1)) }
}

/** The pending callbacks by the name of their operation (or of their waitForCallback), with their ids. */
const pending = (execution: TestExecution): Array<[string, string]> =>
  execution.operations
    .filter((op) => op.type === "CALLBACK" && op.status === "STARTED")
    .map((op): [string, string] => [op.name ?? execution.getOperationById(op.parentId!)!.name!, op.callbackId!])
    .sort(([a], [b]) => (a < b ? -1 : 1))

/** Evicted before or after each completion, crashed at every checkpoint, or neither (the calm run). */
export type FuzzMode = "none" | "after-completion" | "before-completion" | "crash"

/**
 * Runs `fn` (named `name`) to its end. With `fireWhenIdle`, a run with no callback pending moves its clock on 5 s
 * (its waits); else it stops there.
 */
export const runFuzzSeed = async (fn: DurableFunction, name: string, seed: number, mode: FuzzMode, fireWhenIdle: boolean) => {
  const runner = createTestRunner({ functions: [fn], ...(fireWhenIdle ? { skipTime: false } : {}) })
  const pick = random(seed * 7 + 1)
  const completed: Array<string> = []
  try {
    const execution = await runner.start(name, undefined, mode === "crash" ? { crashAtEveryCheckpoint: true } : {})
    const evicts = mode === "after-completion" || mode === "before-completion"
    for (let i = 0; i < 64 && execution.status === "RUNNING"; i++) {
      const open = pending(execution)
      if (open.length === 0) {
        if (!fireWhenIdle) break
        completed.push("fire")
        if (evicts) await execution.evict()
        await runner.fireAt(execution.executionId, execution.now.getTime() + 5_000)
        await execution.settle()
        continue
      }
      const [callback, callbackId] = open[Math.floor(pick() * open.length)]!
      completed.push(callback)
      // Completed while evicted: held until the replay is over. Evicted after it: replayed as ended.
      if (mode === "before-completion") await execution.evict()
      // Refused when the replay its completion brought failed: the execution's status says why.
      const refused = await execution.sendCallbackSuccess(callbackId, JSON.stringify(callback)).then(() => false, () => true)
      if (refused) break
      if (mode === "after-completion" && execution.status === "RUNNING") {
        await execution.evict()
        await runner.fireAt(execution.executionId, execution.now.getTime())
      }
      await execution.settle()
    }
    await execution.refresh()
    return {
      status: execution.status,
      error: execution.error?.errorMessage,
      result: execution.result,
      completed,
      // By name: a calm run lists operations in the order of their first write, which varies.
      operations: execution.operations.map((op) => `${op.name}|${op.type}|${op.status}`).sort()
    }
  } finally {
    await runner.dispose()
  }
}

type SeedRun = Awaited<ReturnType<typeof runFuzzSeed>>

/**
 * Runs seeds `from` to `from + count - 1` calm, then in each of `modes`, and lists where a run differs from the calm
 * one (in crash mode, its status and result: the crashes' retries add to its operations). `plan` names a seed's
 * lanes in a failure.
 */
export const replaySeeds = async (
  from: number,
  count: number,
  modes: ReadonlyArray<FuzzMode>,
  runSeed: (seed: number, mode: FuzzMode) => Promise<SeedRun>,
  plan: (seed: number) => unknown
): Promise<Array<string>> => {
  const failures: Array<string> = []
  for (let seed = from; seed < from + count; seed++) {
    const calm = await runSeed(seed, "none")
    if (calm.status !== "SUCCEEDED") {
      failures.push(`seed ${seed}: calm ${calm.status} ${calm.error}`)
      continue
    }
    for (const mode of modes) {
      const other = await runSeed(seed, mode)
      const same = mode === "crash"
        ? other.status === calm.status && JSON.stringify(other.result) === JSON.stringify(calm.result)
        : JSON.stringify(other) === JSON.stringify(calm)
      if (!same) failures.push(`seed ${seed}, ${mode}: ${other.status} ${(other.error ?? "").slice(0, 200)} ${JSON.stringify(plan(seed))}`)
    }
  }
  return failures
}
