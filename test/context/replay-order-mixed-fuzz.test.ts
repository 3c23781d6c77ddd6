/**
 * A seeded fuzz that mixes what the other replay fuzzes take one at a time (the final review's): steps whose bodies
 * end together and so share a write (step-gate.ts), caught failures among them, child contexts begun after plain
 * awaits, lanes inside children, a parallel's branches awaiting a step begun outside it, waits, callbacks and
 * children that fail at once. Calm against evicted before or after each completion. It fails on f474766 (before the
 * callers of one write were paced and bodies' starts had their rounds); DEPTH up to 25 passes 600 seeds, and above
 * 32 it fails as documented (continuations deeper than the rounds). FUZZ_SEEDS, FUZZ_FROM, KINDS, MODES widen it.
 */
import { assert, describe, it } from "@effect/vitest"
import { durable } from "../../src/index.ts"
import { MIXED_KINDS, type MixedOp, runMixedLanes } from "./replay-fuzz-mixed.ts"
import { type FuzzMode, type FuzzPlan, planOf as planOfKinds, replaySeeds, runFuzzSeed } from "./replay-fuzz-runs.ts"

type Op = MixedOp
const KINDS: ReadonlyArray<Op> = (process.env.KINDS?.split(",") as Array<Op> | undefined) ?? MIXED_KINDS
const SEEDS = Number(process.env.FUZZ_SEEDS ?? 100)
const FROM = Number(process.env.FUZZ_FROM ?? 0)
const DEPTH = Number(process.env.DEPTH ?? 25)

type Plan = FuzzPlan<Op>
const planOf = (seed: number): Plan => planOfKinds(seed, KINDS, DEPTH, 2, 4)

const handlerOf = (name: string, plan: Plan) =>
  durable(name, async (_: unknown, ctx) => {
    const r = await runMixedLanes(ctx, plan, DEPTH)
    await ctx.wait("top-cool", { seconds: 5 })
    return r
  })

const runSeed = (seed: number, mode: FuzzMode) => runFuzzSeed(handlerOf(`mixed-${seed}`, planOf(seed)), `mixed-${seed}`, seed, mode, true)
const MODES = (process.env.MODES?.split(",") as Array<FuzzMode> | undefined) ?? ["after-completion", "before-completion"]

describe("replay order under a mixed seeded fuzz", () => {
  it(`replays ${SEEDS} seeds of mixed lanes as they ran`, { timeout: 600_000 }, async () => {
    assert.deepStrictEqual(await replaySeeds(FROM, SEEDS, MODES, runSeed, (seed) => planOf(seed).lanes), [])
  })
})
