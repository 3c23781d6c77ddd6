/**
 * Replay order on Durable Objects: a Durable Object's storage answers a write within microtasks (`transactionSync`),
 * as the test runner's store does, so two lanes whose steps end close together must replay in the order they ran
 * (write-releases.ts). Executions of the two-lane shape over a grid of continuation and step-body lengths, and of the
 * separate-writes and mixed fuzzes' lanes, wait 10 s; Miniflare is restarted on the same storage meanwhile, and each replays
 * there when its alarm fires (a non-deterministic replay fails the execution).
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, client, removeDir, startMiniflare, tempDir, until, untilStatus } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))
const dirs: Array<string> = []
const running: Array<Miniflare> = []

afterAll(async () => {
  for (const mf of running) await mf.dispose().catch(() => undefined)
  for (const dir of dirs) removeDir(dir)
})

const CELLS = [0, 10, 20].flatMap((n) => [24, 28, 32, 36, 40, 44, 48, 56].map((k) => ({ n, k })))
const SEEDS = Array.from({ length: 40 }, (_, seed) => seed)
/**
 * Every execution: the grid's two lanes, the separate-writes fuzz's seeds (test/context/replay-fuzz-separate.ts) and
 * the mixed fuzz's (replay-fuzz-mixed.ts, without callbacks).
 */
const RUNS = [
  ...CELLS.map((cell) => ({ fn: "two-lanes", input: cell, name: `lanes-${cell.n}-${cell.k}` })),
  ...SEEDS.map((seed) => ({ fn: "separate-fuzz", input: { seed }, name: `fuzz-${seed}` })),
  ...SEEDS.map((seed) => ({ fn: "mixed-fuzz", input: { seed }, name: `mixed-${seed}` }))
]

describe("replay order on Durable Objects", () => {
  it("lanes whose steps end close together replay after a restart as they ran", async () => {
    const build = tempDir("replay-order-build")
    const persist = tempDir("replay-order-data")
    dirs.push(build, persist)
    const scriptPath = await bundle(entry, build)

    const first = startMiniflare({ scriptPath, persistDir: persist })
    running.push(first)
    const api1 = client(first)
    const firstStart = Date.now()
    for (const run of RUNS) assert.strictEqual((await api1.start(run.fn, run.input, { executionName: run.name })).status, 201)
    const waiting = async (api: ReturnType<typeof client>, name: string) =>
      (await api.describe(name)).body.operations.some((op: { type: string; status: string }) => op.type === "WAIT" && op.status === "STARTED")
    // Each still waits when the runtime goes: it finishes by a replay in the next one.
    for (const run of RUNS) await until(async () => ((await waiting(api1, run.name)) ? true : undefined), 20_000, `${run.name} to wait`)
    // Disposed before the first one's wait is due: every one then ends by a replay (else the test would not test it).
    assert.isBelow(Date.now() - firstStart, 9_000, "the runtime goes while every execution still waits")
    await first.dispose()
    running.pop()

    const second = startMiniflare({ scriptPath, persistDir: persist })
    running.push(second)
    const api2 = client(second)
    const failed: Array<string> = []
    for (const run of RUNS) {
      const view = await untilStatus(api2, run.name, undefined, 30_000)
      if (view.status !== "SUCCEEDED") failed.push(`${run.name}: ${view.status} ${view.error?.errorMessage}`)
    }
    assert.deepStrictEqual(failed, [])
  }, 120_000)
})
