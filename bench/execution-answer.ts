/**
 * The size and serving time of the execution answer for a 1,000-step execution over the in-process HTTP app
 * (in-memory store): the default (lean: counts) against `?operations=true` (every operation, the old default).
 * Prints a table: bytes and median milliseconds of 50 GETs each.
 */
import { Effect, Layer, ManagedRuntime } from "effect"
import { durable } from "../src/index.ts"
import { Engine } from "../src/engine/index.ts"
import { createApp } from "../src/http/index.ts"
import { ExecutionStore } from "../src/store/execution-store.ts"
import { makeMemoryStore } from "../src/store/memory-store.ts"

const STEPS = 1000
const many = durable("many", async (n: number, ctx) => {
  for (let i = 0; i < n; i++) await ctx.step(`step-${i}`, async () => i)
  return n
})

const runtime = ManagedRuntime.make(Engine.layer({ functions: [many] }).pipe(Layer.provide(Layer.succeed(ExecutionStore, makeMemoryStore()))))
const app = createApp({ runtime })
const started = await app.request("/v1/functions/many/executions?wait=60", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ input: STEPS, executionName: "many" })
})
if (started.status !== 201) throw new Error(`start: ${started.status} ${await started.text()}`)

const measure = async (path: string) => {
  const times: Array<number> = []
  let bytes = 0
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now()
    const text = await (await app.request(path)).text()
    times.push(performance.now() - t0)
    bytes = Buffer.byteLength(text)
  }
  times.sort((a, b) => a - b)
  return { bytes, ms: times[25]! }
}

const lean = await measure("/v1/executions/many")
const full = await measure("/v1/executions/many?operations=true")
console.log(`GET /v1/executions/:id of a ${STEPS}-step execution (in-process app, in-memory store)\n`)
console.log("| answer | bytes | median ms |\n|---|---|---|")
console.log(`| ?operations=true (the previous default) | ${full.bytes} | ${full.ms.toFixed(2)} |`)
console.log(`| default (lean) | ${lean.bytes} | ${lean.ms.toFixed(2)} |`)
console.log(`| ratio | ${(full.bytes / lean.bytes).toFixed(0)}x | ${(full.ms / lean.ms).toFixed(1)}x |`)
await Effect.runPromise(Effect.promise(() => runtime.dispose()))
