/**
 * reprise/otel's latencies on the test runner (virtual clocks, so the values are exact) with the real metrics SDK
 * and an in-memory reader: queue latency (a queued execution's wait from when it could have run) and wake-up latency
 * (a wait's end, a retry's due time, to when the wait ended or the attempt began), each recorded once, also when the
 * execution is evicted at every pause and resumed by replay.
 */
import { assert, describe, it } from "@effect/vitest"
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics"
import { otelObserver } from "../../../adapters/otel/index.ts"
import { createRetryStrategy, durable } from "../../../src/index.ts"
import { createTestRunner } from "../../../src/testing/index.ts"

class CollectingReader extends MetricReader {
  protected override onShutdown = async () => undefined
  protected override onForceFlush = async () => undefined
}

const makeFunctions = () => {
  const failures = new Map<string, number>()
  const limited = durable("limited", async (_: unknown, ctx) => ctx.step("work", async () => 1), {
    rateLimit: { limit: 1, period: { seconds: 5 }, whenLimited: "queue" }
  })
  const debounced = durable("debounced", async (_: unknown, ctx) => ctx.step("work", async () => 1), { debounce: { period: { seconds: 10 } } })
  const retried = durable("retried", async (input: { run: string }, ctx) => {
    await ctx.step("flaky", async () => {
      const seen = failures.get(input.run) ?? 0
      failures.set(input.run, seen + 1)
      if (seen === 0) throw new Error("first attempt fails")
      return 1
    }, { retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 1 } }) })
    await ctx.wait("pause", { seconds: 30 })
    return "done"
  })
  return [limited, debounced, retried]
}

/** The histogram's points of `name`, as { attributes: count/sum }. */
const histogram = async (reader: CollectingReader, name: string) => {
  const { resourceMetrics } = await reader.collect()
  const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name)
  const points = (metric?.dataPoints ?? []) as Array<DataPoint<Histogram>>
  return Object.fromEntries(points.map((p) => [JSON.stringify(p.attributes), { count: p.value.count, sum: p.value.sum }]))
}

const measure = async (evicting: boolean) => {
  const reader = new CollectingReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const runner = createTestRunner({ functions: makeFunctions(), skipTime: false, observer: otelObserver({ meter: meterProvider.getMeter("test") }) })

  // A rate limit of one per 5 s: the second start waits 5 s in the queue. A debounced start waits its period, which
  // is not latency: it could not have run before.
  await runner.start("limited", {}, { executionId: "l-1" })
  await runner.start("limited", {}, { executionId: "l-2" })
  await runner.start("debounced", {}, { executionId: "d-1" })
  await runner.drain()
  for (const id of ["l-1", "l-2", "d-1"]) assert.strictEqual((await runner.execution(id)).status, "SUCCEEDED")

  // The retry is due 1 s after the failure and runs 250 ms late; the 30 s wait ends 500 ms late.
  const execution = await runner.start("retried", { run: String(evicting) }, { executionId: "r-1" })
  await execution.settle()
  if (evicting) await execution.evict()
  await execution.advanceTime(1250)
  await execution.settle()
  if (evicting) await execution.evict()
  await execution.advanceTime(30_500)
  await execution.settle()
  assert.strictEqual(execution.status, "SUCCEEDED")
  assert.strictEqual(execution.invocations, evicting ? 3 : 1)

  const result = { queue: await histogram(reader, "reprise.queue.latency"), wakeup: await histogram(reader, "reprise.wakeup.latency") }
  await runner.dispose()
  await meterProvider.shutdown()
  return result
}

describe("reprise/otel latencies", () => {
  it("queue latency of queued executions and wake-up latency of retries and waits, once each, across replays", async () => {
    const straight = await measure(false)
    assert.deepStrictEqual(straight.queue, {
      [JSON.stringify({ "reprise.function": "limited" })]: { count: 1, sum: 5000 },
      [JSON.stringify({ "reprise.function": "debounced" })]: { count: 1, sum: 0 }
    })
    assert.deepStrictEqual(straight.wakeup, {
      [JSON.stringify({ "reprise.function": "retried", "reprise.wakeup": "retry" })]: { count: 1, sum: 250 },
      [JSON.stringify({ "reprise.function": "retried", "reprise.wakeup": "wait" })]: { count: 1, sum: 500 }
    })
    assert.deepStrictEqual(await measure(true), straight, "evicted at every pause: the same measurements, none twice")
  })
})
