import { Effect, Schema, Exit } from "/work/main/node_modules/effect/dist/index.js"
import { LogEvent } from "/work/main/src/log/events.ts"
import { makeMemoryKV } from "/work/main/src/store/memory-kv.ts"
const N = 20000
const ev = (seq: number) => ({ _tag: "StepSucceeded", seq, at: 1, id: String(seq), type: "STEP", subType: "Step", attempt: 1, result: "1" }) as any
const enc = Schema.encodeUnknownExit(LogEvent)
const dec = Schema.decodeUnknownExit(LogEvent)
const is = Schema.is(LogEvent)
let t0 = performance.now()
for (let i = 0; i < N; i++) enc(ev(i + 1))
console.log("encode:", ((performance.now() - t0) / N * 1000).toFixed(2), "us")
t0 = performance.now()
for (let i = 0; i < N; i++) dec(ev(i + 1))
console.log("decode:", ((performance.now() - t0) / N * 1000).toFixed(2), "us")
t0 = performance.now()
for (let i = 0; i < N; i++) is(ev(i + 1))
console.log("is:", ((performance.now() - t0) / N * 1000).toFixed(2), "us")
const kv = makeMemoryKV()
t0 = performance.now()
await Effect.runPromise(Effect.gen(function*() { for (let i = 0; i < N; i++) yield* kv.transaction((tx) => Effect.gen(function*() { yield* tx.get("meta"); yield* tx.putMany([["e" + i, 1], ["meta", { seq: i }]]) })) }))
console.log("kv txn:", ((performance.now() - t0) / N * 1000).toFixed(2), "us")
t0 = performance.now()
await Effect.runPromise(Effect.gen(function*() { for (let i = 0; i < N; i++) yield* Effect.void }))
console.log("gen yield:", ((performance.now() - t0) / N * 1000).toFixed(3), "us")
