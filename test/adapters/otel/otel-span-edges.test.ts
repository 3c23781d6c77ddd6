/**
 * reprise/otel at the edges of an execution's life, with the real SDK: a sampler that drops some traces (the
 * operations of a dropped execution are dropped with it, and its steps' traceparents say so), a caller that says "not sampled", a rewind (new spans,
 * not the first run's ids again; a start counted), and an execution stopped while an operation is open (its attempt
 * spans keep their parent).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
  type SpanProcessor,
  TraceIdRatioBasedSampler
} from "@opentelemetry/sdk-trace-base"
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { otelObserver, repriseIdGenerator } from "../../../adapters/otel/index.ts"
import { createRetryStrategy, durable, retryPresets } from "../../../src/index.ts"
import { createTestRunner } from "../../../src/testing/index.ts"

const twoParts = durable("two-parts", async (_input: unknown, ctx) => {
  await ctx.step("one", async () => 1)
  await ctx.wait("w", { seconds: 1 })
  return "done"
})

let failing = true
const flaky = durable("flaky", async (_input: unknown, ctx) => {
  await ctx.step("first", async () => 1)
  await ctx.step("bad", async () => {
    if (failing) throw new Error("fails")
    return 2
  }, { retryStrategy: retryPresets.noRetry })
  return "ok"
})

const retrying = durable("retrying", async (_input: unknown, ctx) => {
  await ctx.step("again", async () => {
    throw new Error("not yet")
  }, { retryStrategy: createRetryStrategy({ maxAttempts: 5, initialDelay: { seconds: 60 } }) })
})

const tracing = (sampler?: Sampler) => {
  const exporter = new InMemorySpanExporter()
  // What a processor that follows spans from onStart to onEnd sees (the SDK's otel.sdk.span.live counts the same).
  const live = new Set<ReadableSpan>()
  const lifetimes: SpanProcessor = {
    onStart: (span) => void live.add(span),
    onEnd: (span) => void live.delete(span),
    forceFlush: async () => {},
    shutdown: async () => {}
  }
  const provider = new BasicTracerProvider({
    idGenerator: repriseIdGenerator,
    spanProcessors: [lifetimes, new SimpleSpanProcessor(exporter)],
    ...(sampler === undefined ? {} : { sampler })
  })
  return { exporter, live, tracer: provider.getTracer("test") }
}

const byId = (spans: ReadonlyArray<ReadableSpan>) => new Map(spans.map((s) => [s.spanContext().spanId, s]))
/** Spans whose parent is neither exported nor outside Reprise (a root, or the caller's span). */
const orphans = (spans: ReadonlyArray<ReadableSpan>, outside: ReadonlySet<string> = new Set()) => {
  const ids = byId(spans)
  return spans.filter((s) => s.parentSpanContext !== undefined && !ids.has(s.parentSpanContext.spanId) && !outside.has(s.parentSpanContext.spanId))
}
const executionOf = (span: ReadableSpan) => String(span.attributes["reprise.execution_id"])

describe("reprise/otel at the edges", () => {
  it("a ratio sampler keeps or drops each execution whole: no span of a dropped execution is exported", async () => {
    const { exporter, tracer } = tracing(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.5) }))
    const runner = createTestRunner({ functions: [twoParts], observer: otelObserver({ tracer }) })
    const ids = Array.from({ length: 24 }, (_, i) => `sampled-${i}`)
    for (const id of ids) assert.strictEqual((await runner.run("two-parts", {}, { executionId: id })).status, "SUCCEEDED")
    await runner.dispose()
    const spans = exporter.getFinishedSpans()
    assert.deepStrictEqual(orphans(spans).map((s) => `${s.name} ${executionOf(s)}`), [])
    const perExecution = new Map<string, number>()
    for (const span of spans) perExecution.set(executionOf(span), (perExecution.get(executionOf(span)) ?? 0) + 1)
    // Each kept execution has all three spans (its own, the step's, its attempt's, the wait's: four); some are dropped.
    assert.deepStrictEqual([...new Set(perExecution.values())], [4])
    assert.isAbove(perExecution.size, 0)
    assert.isBelow(perExecution.size, ids.length)
  })

  it("an invoked child follows its parent's sampling: no child of a dropped parent is exported", async () => {
    const { exporter, tracer } = tracing(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.5) }))
    const child = durable("child", async (input: { n: number }, ctx) => ctx.step("double", async () => input.n * 2))
    const parent = durable("parent", async (input: { n: number }, ctx) => ctx.invoke<{ n: number }, number>("call", "child", { n: input.n }))
    const runner = createTestRunner({ functions: [parent, child], observer: otelObserver({ tracer }) })
    const ids = Array.from({ length: 24 }, (_, i) => `p-${i}`)
    for (const [i, id] of ids.entries()) assert.strictEqual((await runner.run("parent", { n: i }, { executionId: id })).result, i * 2)
    await runner.dispose()
    const spans = exporter.getFinishedSpans()
    assert.deepStrictEqual(orphans(spans).map((s) => `${s.name} ${executionOf(s)}`), [])
    const traces = new Map<string, Set<string>>()
    for (const span of spans) traces.set(span.spanContext().traceId, (traces.get(span.spanContext().traceId) ?? new Set()).add(span.name))
    // Each kept trace is whole: the parent's execution and invoke, the child's execution, step and attempt.
    for (const names of traces.values()) assert.deepStrictEqual([...names].sort(), ["ChainedInvoke call", "Step double", "double attempt 1", "execution child", "execution parent"])
    assert.isAbove(traces.size, 0)
    assert.isBelow(traces.size, ids.length)
  })

  it("every span started is ended: a sampled execution's span once, at its end, and one the sampler only records at once, unexported", async () => {
    const recordOnly: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => "record only" }
    const cases: ReadonlyArray<readonly [Sampler | undefined, ReadonlyArray<string>]> = [
      [undefined, ["Step one", "Wait w", "execution two-parts", "one attempt 1"]],
      [recordOnly, []]
    ]
    const ms = (time: readonly [number, number]) => time[0] * 1000 + time[1] / 1e6
    for (const [sampler, exported] of cases) {
      const { exporter, live, tracer } = tracing(sampler)
      const runner = createTestRunner({ functions: [twoParts], observer: otelObserver({ tracer }) })
      const started = await runner.start("two-parts", {}, { executionId: "whole" })
      await started.settle()
      assert.strictEqual(started.status, "SUCCEEDED")
      await runner.dispose()
      assert.deepStrictEqual([...live].map((s) => s.name), [], `spans left open (${String(sampler ?? "always on")})`)
      const spans = exporter.getFinishedSpans()
      assert.deepStrictEqual(spans.map((s) => s.name).sort(), exported)
      const execution = spans.find((s) => s.name === "execution two-parts")
      // The kept span is the one the sampler was asked with: the execution's, from its start, with its end's attributes.
      if (execution !== undefined) {
        assert.strictEqual(execution.attributes["reprise.status"], "SUCCEEDED")
        assert.isAtMost(ms(execution.startTime), Math.min(...spans.map((s) => ms(s.startTime))))
      }
    }
  })

  it("a step's traceparent carries the sampler's decision: 00 in an execution it dropped (and in its child), 01 in one it kept", async () => {
    const { exporter, tracer } = tracing(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.5) }))
    const handed = new Map<string, string>()
    const callee = durable("callee", async (input: { id: string }, ctx) => {
      await ctx.step("call", async (step) => void handed.set(`${input.id} child`, step.traceparent))
    })
    const caller = durable("caller", async (input: { id: string }, ctx) => {
      await ctx.step("call", async (step) => void handed.set(input.id, step.traceparent))
      await ctx.invoke("child", "callee", input)
    })
    const runner = createTestRunner({ functions: [caller, callee], observer: otelObserver({ tracer }) })
    const ids = Array.from({ length: 16 }, (_, i) => `t-${i}`)
    for (const id of ids) assert.strictEqual((await runner.run("caller", { id }, { executionId: id })).status, "SUCCEEDED")
    await runner.dispose()
    const kept = new Set(exporter.getFinishedSpans().map(executionOf))
    const flags = (id: string) => (kept.has(id) ? "01" : "00")
    assert.deepStrictEqual(
      ids.flatMap((id) => [`${id} ${handed.get(id)?.slice(-2)}`, `${id} child ${handed.get(`${id} child`)?.slice(-2)}`]),
      ids.flatMap((id) => [`${id} ${flags(id)}`, `${id} child ${flags(id)}`])
    )
    assert.isAbove(kept.size, 0)
    assert.isBelow(kept.size, ids.length * 2)
  })

  it("a caller's traceparent that says not sampled (flags 00) is followed: nothing of the execution is exported", async () => {
    const { exporter, tracer } = tracing()
    const runner = createTestRunner({ functions: [twoParts, flaky], observer: otelObserver({ tracer }) })
    const unsampled = "00-11111111111111111111111111111111-2222222222222222-00"
    await runner.engine((e) => e.start({ functionName: "two-parts", input: {}, executionId: "quiet", traceparent: unsampled }))
    const sampled = "00-33333333333333333333333333333333-4444444444444444-01"
    await runner.engine((e) => e.start({ functionName: "two-parts", input: {}, executionId: "loud", traceparent: sampled }))
    const quiet = await runner.execution("quiet")
    const loud = await runner.execution("loud")
    await quiet.settle()
    await loud.settle()
    assert.strictEqual(quiet.status, "SUCCEEDED")
    assert.strictEqual(loud.status, "SUCCEEDED")
    await runner.dispose()
    const spans = exporter.getFinishedSpans()
    assert.deepStrictEqual([...new Set(spans.map(executionOf))], ["loud"])
    assert.deepStrictEqual(orphans(spans, new Set(["4444444444444444"])), [])
  })

  it("a rewound execution's run gets spans of its own (no id exported twice), and the rewind is a start in the metrics", async () => {
    failing = true
    const { exporter, tracer } = tracing()
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
    const meterProvider = new MeterProvider({ readers: [reader] })
    const runner = createTestRunner({ functions: [flaky, twoParts], observer: otelObserver({ tracer, meter: meterProvider.getMeter("test") }) })
    const first = await runner.run("flaky", {}, { executionId: "rewound" })
    assert.strictEqual(first.status, "FAILED")
    // The lifecycle feed of GET /v1/events, followed from before the rewinds: a marker's start says it is listening.
    const seen: Array<string> = []
    void runner.engine((e) =>
      e.watchLifecycle!({}).pipe(Stream.runForEach((change) => Effect.sync(() => void seen.push(`${change.executionId} ${change.status}`))))
    ).catch(() => undefined)
    for (let i = 0; i < 100 && !seen.some((change) => change.startsWith("marker-")); i++) {
      await runner.engine((e) => e.start({ functionName: "two-parts", input: {}, executionId: `marker-${i}` }))
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await runner.engine((e) => e.rewind("rewound", { fromOperation: "2" }))
    const again = await runner.execution("rewound")
    await again.settle()
    assert.strictEqual(again.status, "FAILED")
    failing = false
    await runner.engine((e) => e.rewind("rewound", { fromOperation: "2" }))
    await again.settle()
    assert.strictEqual(again.status, "SUCCEEDED")
    // The feed is a stream of its own: under load its last change came after settle (1 run in 3 with six in parallel).
    const rewound = () => seen.filter((change) => change.startsWith("rewound"))
    for (let i = 0; i < 250 && rewound().length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepStrictEqual(rewound(), ["rewound RUNNING", "rewound FAILED", "rewound RUNNING", "rewound SUCCEEDED"])

    const spans = exporter.getFinishedSpans().filter((s) => executionOf(s) === "rewound") // not the markers'
    const ids = spans.map((s) => s.spanContext().spanId)
    assert.strictEqual(new Set(ids).size, ids.length, "no span id exported twice")
    assert.deepStrictEqual(orphans(spans), [])
    // Three runs: three execution spans and three of the step "bad", one of "first" (kept by the rewinds).
    assert.strictEqual(spans.filter((s) => s.name === "execution flaky").length, 3)
    assert.strictEqual(spans.filter((s) => s.name === "Step bad").length, 3)
    assert.strictEqual(spans.filter((s) => s.name === "Step first").length, 1)
    assert.deepStrictEqual(spans.filter((s) => s.name === "execution flaky").map((s) => s.attributes["reprise.rewinds"]), [undefined, 1, 2])

    await reader.forceFlush()
    const points = (name: string) =>
      metricExporter.getMetrics().at(-1)!.scopeMetrics.flatMap((m) => m.metrics).filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as ReadonlyArray<{ value: unknown; attributes: Record<string, unknown> }>)
        .filter((p) => p.attributes["reprise.function"] === "flaky")
    const sum = (name: string) => points(name).reduce((n, p) => n + Number(p.value), 0)
    assert.strictEqual(sum("reprise.executions.started"), 3)
    assert.strictEqual(sum("reprise.executions.ended"), 3)
    await runner.dispose()
    await meterProvider.shutdown()
  })

  it("an execution stopped while a step waits for its retry ends that step's span too: its attempt has its parent", async () => {
    const { exporter, tracer } = tracing()
    const runner = createTestRunner({ functions: [retrying], observer: otelObserver({ tracer }), skipTime: false })
    const execution = await runner.start("retrying", {}, { executionId: "stopped" })
    await execution.settle()
    assert.strictEqual(execution.operations[0]?.status, "PENDING")
    await runner.engine((e) => e.stop("stopped"))
    await execution.settle()
    assert.strictEqual(execution.status, "STOPPED")
    await runner.dispose()
    const spans = exporter.getFinishedSpans()
    assert.deepStrictEqual(orphans(spans), [])
    const step = spans.find((s) => s.name === "Step again")
    assert.strictEqual(step?.attributes["reprise.status"], "PENDING")
    assert.strictEqual(step?.attributes["reprise.unfinished"], true)
  })
})
