/**
 * Bytes allocated per step and per execution, garbage included (V8's sampling heap profiler with the objects that
 * GC collected, through node:inspector), on the host over the in-memory store and over a SQLite file. Prints a
 * table; with --top=N also the N functions that allocate most in each row. Not part of `npm test`.
 *   npm run bench:allocations [-- --top=15] [--rounds=10]
 * Rows: W1 (one execution of 1,000 steps; bytes per step), W2 (200 executions of 10 steps at once, and of 0 steps:
 * an execution's own cost; bytes per execution). The sampling interval is 512 bytes, so figures move by a few
 * percent between runs; compare trees in the same session.
 */
import { Effect, type Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { openSqliteStore } from "../adapters/node/sqlite-store.ts"
import { sqlitePorts } from "../adapters/node/sqlite-ports.ts"
import { type HostPorts, startHost } from "../src/host/index.ts"
import { memoryPorts } from "../src/host/memory-ports.ts"
import { makeMemoryStore } from "../src/store/memory-store.ts"
import { workloadFunctions } from "./workload-functions.ts"

const option = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback
const TOP = Number(option("top", "0"))
const ROUNDS = Number(option("rounds", "10"))

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: ReadonlyArray<ProfileNode>
}

/** Allocations during `rounds` runs of `run` (after warm-ups): total bytes, and bytes by function. */
const sample = async (session: Session, run: () => Promise<void>) => {
  for (let i = 0; i < 3; i++) await run()
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
  for (let i = 0; i < ROUNDS; i++) await run()
  const { profile } = await session.post("HeapProfiler.stopSampling") as { profile: { head: ProfileNode } }
  const byFunction = new Map<string, number>()
  let total = 0
  const walk = (node: ProfileNode) => {
    total += node.selfSize
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child)
  }
  walk(profile.head)
  return { total, byFunction }
}

const session = new Session()
session.connect()
const rows: Array<Record<string, string>> = []
const dir = mkdtempSync(join(tmpdir(), "reprise-allocations-"))
try {
  const stores: ReadonlyArray<readonly [string, () => Promise<Layer.Layer<HostPorts>>]> = [
    ["memory", async () => memoryPorts(makeMemoryStore())],
    ["SQLite file", async () => sqlitePorts(await Effect.runPromise(openSqliteStore({ path: join(dir, "bench.db") })))]
  ]
  for (const [storeName, ports] of stores) {
    const host = await startHost({ functions: workloadFunctions, env: () => undefined, logging: { level: "info", write: () => undefined } }, await ports())
    const one = async (steps: number) => {
      const { executionId } = await host.engine((e) => e.start({ functionName: "steps", input: steps }))
      await host.engine((e) => e.awaitEnd(executionId))
    }
    const workloads = [
      { name: "W1: 1,000 sequential steps", unit: "step", per: 1000, run: () => one(1000) },
      { name: "W2: 200 executions of 10 steps at once", unit: "execution", per: 200, run: () => Promise.all(Array.from({ length: 200 }, () => one(10))).then(() => undefined) },
      { name: "200 executions of 0 steps at once", unit: "execution", per: 200, run: () => Promise.all(Array.from({ length: 200 }, () => one(0))).then(() => undefined) }
    ]
    for (const workload of workloads) {
      const { total, byFunction } = await sample(session, workload.run)
      const units = workload.per * ROUNDS
      rows.push({ store: storeName, workload: workload.name, [`bytes allocated per unit`]: `${Math.round(total / units).toLocaleString("en-US")} per ${workload.unit}` })
      if (TOP > 0) {
        console.error(`${storeName}, ${workload.name}: bytes per ${workload.unit} by function`)
        for (const [key, bytes] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
          console.error(`${String(Math.round(bytes / units)).padStart(8)}  ${key}`)
        }
      }
    }
    await host.close()
  }
} finally {
  session.disconnect()
  rmSync(dir, { recursive: true, force: true })
}
console.table(rows)
