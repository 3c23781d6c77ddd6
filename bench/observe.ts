/**
 * What observing costs (issue 16), on the in-memory store: 1,000 sequential steps with no observer, with reprise/otel
 * (the real SDK, an in-memory exporter), and 1,000 ctx.emit calls against 1,000 steps. Prints a table; never part of
 * `npm test`.   node --conditions=reprise-source bench/observe.ts
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { otelObserver, repriseIdGenerator } from "../adapters/otel/index.ts"
import { durable } from "../src/index.ts"
import { createTestRunner } from "../src/testing/index.ts"

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const N = 1000

const steps = durable("steps", async (n: number, ctx) => {
  let sum = 0
  for (let i = 0; i < n; i++) sum += await ctx.step(async () => i)
  return sum
})
const emits = durable("emits", async (n: number, ctx) => {
  for (let i = 0; i < n; i++) await ctx.emit("tick", i)
  return n
})

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ idGenerator: repriseIdGenerator, spanProcessors: [new SimpleSpanProcessor(exporter)] })
const plain = createTestRunner({ functions: [steps, emits] })
const traced = createTestRunner({ functions: [steps, emits], observer: otelObserver({ tracer: provider.getTracer("bench") }) })

let ids = 0
const time = async (runner: typeof plain, fn: string) => {
  const executionId = `${fn}-${++ids}`
  const t0 = performance.now()
  await runner.engine((e) => e.start({ functionName: fn, input: N, executionId }))
  const view = await runner.engine((e) => e.awaitEnd(executionId))
  const ms = performance.now() - t0
  if (view.status !== "SUCCEEDED") throw new Error(`${fn}: ${view.status}`)
  exporter.reset()
  return ms
}

const rows: Array<Record<string, string>> = []
const measure = async (label: string, runner: typeof plain, fn: string) => {
  for (let i = 0; i < 3; i++) await time(runner, fn)
  const runs: Array<number> = []
  for (let i = 0; i < 9; i++) runs.push(await time(runner, fn))
  const ms = median(runs)
  rows.push({ workload: label, "median ms": ms.toFixed(2), "us per call": (ms * 1000 / N).toFixed(1) })
  return ms
}

const base = await measure(`${N} steps, no observer`, plain, "steps")
const withOtel = await measure(`${N} steps, reprise/otel (2 spans per step)`, traced, "steps")
const emitted = await measure(`${N} ctx.emit, no observer`, plain, "emits")
console.table(rows)
console.log(`otel / none: ${(withOtel / base).toFixed(2)}x   emit / step: ${(emitted / base).toFixed(2)}x`)
await plain.dispose()
await traced.dispose()
