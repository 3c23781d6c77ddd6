import { Effect } from "/work/main/node_modules/effect/dist/index.js"
import { makeMemoryStore } from "/work/main/src/store/memory-store.ts"
const store = makeMemoryStore()
const N = 100000
const ev = (seq: number) => ({ _tag: "StepSucceeded", seq, at: 1, id: String(seq), type: "STEP", subType: "Step", attempt: 1, result: "1" }) as any
await Effect.runPromise(store.append("x", [{ _tag: "ExecutionStarted", seq: 1, at: 1, executionId: "x", functionName: "f", timeoutAt: 5, retentionMs: 5 } as any], 0))
let t0 = performance.now()
await Effect.runPromise(Effect.gen(function*() { for (let i = 2; i < N; i += 2) yield* store.append("x", [ev(i), ev(i + 1)], i - 1) }))
console.log("store.append (2 events):", ((performance.now() - t0) / (N / 2) * 1000).toFixed(1), "us")
t0 = performance.now()
const log = await Effect.runPromise(store.load("x"))
console.log("load", log!.events.length, (performance.now() - t0).toFixed(1), "ms")
