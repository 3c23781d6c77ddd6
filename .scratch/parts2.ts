import { Schema } from "/work/main/node_modules/effect/dist/index.js"
import { StepSucceeded, LogEvent } from "/work/main/src/log/events.ts"
const N = 50000
const ev = (seq: number) => ({ _tag: "StepSucceeded", seq, at: 1, id: String(seq), type: "STEP", subType: "Step", attempt: 1, result: "1" }) as any
const evs = Array.from({length: N}, (_, i) => ev(i+1))
for (const [label, fn] of [["member decode", Schema.decodeUnknownExit(StepSucceeded)], ["union decode", Schema.decodeUnknownExit(LogEvent)], ["member is", Schema.is(StepSucceeded)], ["union is", Schema.is(LogEvent)], ["member encode", Schema.encodeUnknownExit(StepSucceeded)], ["member decodeSync", Schema.decodeUnknownSync(StepSucceeded)]] as const) {
  for (let w = 0; w < 3; w++) { const t0 = performance.now(); for (const e of evs) (fn as any)(e); if (w === 2) console.log(label, ((performance.now() - t0) / N * 1000).toFixed(2), "us") }
}
