/**
 * reprise/otel on a real Node server (serve() on 127.0.0.1, a SQLite file) with the real SDKs: the start request's
 * `traceparent` puts the execution in the caller's trace, the step body gets its attempt's trace context, and the
 * metrics count starts, ends by status, step attempts and how late a wait woke up.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server } from "../../../adapters/node/serve.ts"
import { otelObserver, repriseIdGenerator } from "../../../adapters/otel/index.ts"
import { createRetryStrategy, durable, retryPresets } from "../../../src/index.ts"

/** A reader the test collects from when it wants (the SDK's own base class; no exporter). */
class CollectingReader extends MetricReader {
  protected override onShutdown = async () => undefined
  protected override onForceFlush = async () => undefined
}

const seenTraceparents: Array<string> = []
const hello = durable("hello", async (_: unknown, ctx) => {
  const greeting = await ctx.step("greet", async (step) => {
    seenTraceparents.push(step.traceparent)
    return "hello"
  })
  await ctx.wait("nap", { seconds: 1 })
  return greeting
})
const broken = durable("broken", async (_: unknown, ctx) =>
  ctx.step("explode", async () => {
    throw new Error("kaboom")
  }, { retryStrategy: retryPresets.noRetry }))

let flakyAttempts = 0
const flaky = durable("flaky", async (_: unknown, ctx) =>
  ctx.step("once-failing", async () => {
    if (flakyAttempts++ === 0) throw new Error("first attempt fails")
    return "ok"
  }, { retryStrategy: createRetryStrategy({ maxAttempts: 2, initialDelay: { seconds: 1 } }) }))
/** One start per second: a second start at once waits in the queue. */
const limited = durable("limited", async (_: unknown, ctx) => ctx.step("work", async () => 1), {
  rateLimit: { limit: 1, period: { seconds: 1 }, whenLimited: "queue" }
})

const exporter = new InMemorySpanExporter()
const tracerProvider = new BasicTracerProvider({ idGenerator: repriseIdGenerator, spanProcessors: [new SimpleSpanProcessor(exporter)] })
const reader = new CollectingReader()
const meterProvider = new MeterProvider({ readers: [reader] })

let dir: string
let server: Server
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-otel-"))
  server = await serve({
    functions: [hello, broken, flaky, limited],
    dbPath: join(dir, "reprise.db"),
    port: 0,
    handleSignals: false,
    logging: { level: "none" },
    observer: otelObserver({ tracer: tracerProvider.getTracer("test"), meter: meterProvider.getMeter("test") })
  })
})
afterAll(async () => {
  await server?.close()
  await meterProvider.shutdown()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
const CALLER = "00f067aa0ba902b7"

const run = async (fn: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${server.url}/v1/functions/${fn}/executions?wait=20`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}"
  })
  return await response.json() as { executionId: string; status: string }
}

describe("reprise/otel on Node", () => {
  it("joins the caller's trace from traceparent, and hands the step body its attempt's context", async () => {
    const ended = await run("hello", { traceparent: `00-${TRACE}-${CALLER}-01` })
    assert.strictEqual(ended.status, "SUCCEEDED")
    const spans = exporter.getFinishedSpans().filter((s) => s.attributes["reprise.execution_id"] === ended.executionId)
    const execution = spans.find((s) => s.name === "execution hello")!
    assert.strictEqual(execution.spanContext().traceId, TRACE)
    assert.strictEqual(execution.parentSpanContext?.spanId, CALLER)
    for (const span of spans) assert.strictEqual(span.spanContext().traceId, TRACE)
    const attempt = spans.find((s) => s.name === "greet attempt 1")!
    assert.deepStrictEqual(seenTraceparents, [`00-${TRACE}-${attempt.spanContext().spanId}-01`])
    const wait = spans.find((s) => s.name === "Wait nap")!
    assert.strictEqual(wait.parentSpanContext?.spanId, execution.spanContext().spanId)
  }, 30_000)

  it("an invalid traceparent is ignored: the execution gets a trace of its own", async () => {
    const ended = await run("hello", { traceparent: "not-a-traceparent" })
    assert.strictEqual(ended.status, "SUCCEEDED")
    const execution = exporter.getFinishedSpans().find((s) => s.attributes["reprise.execution_id"] === ended.executionId && s.name === "execution hello")!
    assert.isUndefined(execution.parentSpanContext)
    assert.notStrictEqual(execution.spanContext().traceId, TRACE)
  }, 30_000)

  it("counts starts, ends by status, step attempts, and records the wake-up latency of waits", async () => {
    const failed = await run("broken")
    assert.strictEqual(failed.status, "FAILED")
    const failedSpan = exporter.getFinishedSpans().find((s) => s.attributes["reprise.execution_id"] === failed.executionId && s.name === "execution broken")!
    assert.strictEqual(failedSpan.status.code, 2)
    assert.include(failedSpan.status.message, "kaboom")

    const { resourceMetrics } = await reader.collect()
    const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
    const points = (name: string) => all.find((m) => m.descriptor.name === name)?.dataPoints as Array<DataPoint<number>> ?? []
    const count = (name: string, attributes: Record<string, string>) =>
      points(name).filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)).reduce((sum, p) => sum + p.value, 0)
    assert.strictEqual(count("reprise.executions.started", { "reprise.function": "hello" }), 2)
    assert.strictEqual(count("reprise.executions.started", { "reprise.function": "broken" }), 1)
    assert.strictEqual(count("reprise.executions.ended", { "reprise.function": "hello", "reprise.status": "SUCCEEDED" }), 2)
    assert.strictEqual(count("reprise.executions.ended", { "reprise.function": "broken", "reprise.status": "FAILED" }), 1)
    assert.strictEqual(count("reprise.step.attempts", { "reprise.function": "broken", "reprise.outcome": "failed" }), 1)
    assert.strictEqual(count("reprise.step.attempts", { "reprise.function": "hello", "reprise.outcome": "succeeded" }), 2)
    const latency = all.find((m) => m.descriptor.name === "reprise.wakeup.latency")!.dataPoints as Array<DataPoint<Histogram>>
    assert.strictEqual(latency.reduce((sum, p) => sum + p.value.count, 0), 2)
    assert.isTrue(latency.every((p) => (p.value.min ?? -1) >= 0))
  }, 30_000)

  it("records how long a queued execution waited and how late a retry began", async () => {
    const [first, second] = await Promise.all([run("limited"), run("limited")])
    assert.deepStrictEqual([first.status, second.status], ["SUCCEEDED", "SUCCEEDED"])
    assert.strictEqual((await run("flaky")).status, "SUCCEEDED")

    const { resourceMetrics } = await reader.collect()
    const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
    const points = (name: string, fn: string, kind?: string) =>
      (all.find((m) => m.descriptor.name === name)?.dataPoints as Array<DataPoint<Histogram>> ?? [])
        .filter((p) => p.attributes["reprise.function"] === fn && (kind === undefined || p.attributes["reprise.wakeup"] === kind))
    const queued = points("reprise.queue.latency", "limited")
    assert.strictEqual(queued.reduce((sum, p) => sum + p.value.count, 0), 1, "one of the two starts was queued")
    assert.isTrue(queued.every((p) => (p.value.min ?? -1) >= 0))
    const retries = points("reprise.wakeup.latency", "flaky", "retry")
    assert.strictEqual(retries.reduce((sum, p) => sum + p.value.count, 0), 1, "one retry")
    assert.isTrue(retries.every((p) => (p.value.min ?? -1) >= 0))
    assert.deepStrictEqual(points("reprise.wakeup.latency", "hello", "wait").reduce((sum, p) => sum + p.value.count, 0), 2, "the waits as before")
  }, 30_000)
})
