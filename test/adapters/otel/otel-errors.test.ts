/**
 * reprise/otel's failed spans, with the real SDK: besides the ERROR status, each carries the semantic conventions'
 * `exception` event with the recorded story (type, message, the user's frames and each cause's), where tracing
 * backends look for a failure's stack. A replay emits no second event.
 */
import { assert, describe, it } from "@effect/vitest"
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { otelObserver, repriseIdGenerator } from "../../../adapters/otel/index.ts"
import { createRetryStrategy, durable } from "../../../src/index.ts"
import { createTestRunner } from "../../../src/testing/index.ts"

let attempts = 0
const failing = durable("failing", async (_input: unknown, ctx) => {
  await ctx.step("prepare", async () => "ready")
  await ctx.step("charge", async () => {
    attempts++
    throw new Error(`declined ${attempts}`, { cause: new TypeError("card reader unplugged") })
  }, { retryStrategy: createRetryStrategy({ maxAttempts: 2, initialDelay: { seconds: 1 } }) })
})

const exceptionOf = (span: ReadableSpan) => {
  const events = span.events.filter((e) => e.name === "exception")
  assert.strictEqual(events.length, 1, `${span.name} has one exception event`)
  return events[0]!
}

describe("reprise/otel failed spans", () => {
  it("carry an exception event with the error's type, message, frames and causes, once each even after a replay", async () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ idGenerator: repriseIdGenerator, spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const runner = createTestRunner({ functions: [failing], skipTime: false, observer: otelObserver({ tracer: provider.getTracer("test") }) })
    const execution = await runner.start("failing", {}, { executionId: "failing-1" })
    await execution.settle() // attempt 1 failed; the retry is due in 1 s
    await execution.evict() // the rest runs on a replay of the log
    await execution.advanceTime({ seconds: 1 })
    await execution.settle()
    assert.strictEqual(execution.status, "FAILED")
    await runner.dispose()

    const spans = exporter.getFinishedSpans()
    const named = (name: string) => spans.find((s) => s.name === name)!
    const first = exceptionOf(named("charge attempt 1"))
    assert.strictEqual(first.attributes?.["exception.type"], "Error")
    assert.strictEqual(first.attributes?.["exception.message"], "declined 1")
    const stack = String(first.attributes?.["exception.stacktrace"])
    assert.match(stack, /^Error: declined 1\n {4}at .*otel-errors\.test\.ts:\d+:\d+/)
    assert.match(stack, /\nCaused by: TypeError: card reader unplugged\n {4}at .*otel-errors\.test\.ts:\d+:\d+/)
    assert.deepStrictEqual(first.time, named("charge attempt 1").endTime, "at the failure's time")

    assert.strictEqual(exceptionOf(named("charge attempt 2")).attributes?.["exception.message"], "declined 2")
    assert.strictEqual(exceptionOf(named("Step charge")).attributes?.["exception.message"], "declined 2")
    const execution_ = exceptionOf(named("execution failing"))
    assert.strictEqual(execution_.attributes?.["exception.type"], "StepError")
    assert.match(String(execution_.attributes?.["exception.stacktrace"]), /Caused by: TypeError: card reader unplugged/)
    // A span without a failure has no exception event.
    assert.deepStrictEqual(named("Step prepare").events, [])
  })
})
