/**
 * reprise/otel with the real OpenTelemetry SDK (sdk-trace-base's BasicTracerProvider and InMemorySpanExporter):
 * spans for a function with steps (one retried), a wait, a callback, a map and an invoke, correctly parented, and
 * exactly the same spans when the execution is evicted at every pause and each part runs on a replay of its log.
 */
import { assert, describe, it } from "@effect/vitest"
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { otelObserver, repriseIdGenerator } from "../../../adapters/otel/index.ts"
import { createRetryStrategy, durable } from "../../../src/index.ts"
import { createTestRunner } from "../../../src/testing/index.ts"
import { fixedStart } from "../../testing/fixed-start.ts"

const makeFunctions = () => {
  const failures = new Map<string, number>()
  const child = durable("child", async (input: { n: number }, ctx) => ctx.step("double", async () => input.n * 2))
  const traced = durable("traced", async (input: { run: string }, ctx) => {
    const first = await ctx.step("flaky", async () => {
      const seen = failures.get(input.run) ?? 0
      failures.set(input.run, seen + 1)
      if (seen === 0) throw new Error("first attempt fails")
      return 1
    }, { retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 1 } }) })
    await ctx.wait("pause", { seconds: 30 })
    const approved = await ctx.waitForCallback<string>("approval", async () => undefined)
    const mapped = await ctx.map("items", [1, 2], async (item, value) => item.step(`item-${value}`, async () => value * 10))
    const doubled = await ctx.invoke<{ n: number }, number>("call-child", "child", { n: first })
    return { approved, mapped: mapped.getResults(), doubled }
  })
  return [traced, child]
}

interface Shape {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parent: string | undefined
  readonly start: number
  readonly end: number
  readonly error: boolean
  readonly attributes: Record<string, unknown>
}

const shapeOf = (span: ReadableSpan): Shape => ({
  name: span.name,
  traceId: span.spanContext().traceId,
  spanId: span.spanContext().spanId,
  parent: span.parentSpanContext?.spanId,
  start: span.startTime[0] * 1000 + Math.round(span.startTime[1] / 1e6),
  end: span.endTime[0] * 1000 + Math.round(span.endTime[1] / 1e6),
  error: span.status.code === 2,
  attributes: { ...span.attributes }
})

/** Runs `traced` straight through, or evicted from memory at every pause so that each part runs on a replay. */
const traceOf = async (evicting: boolean) => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ idGenerator: repriseIdGenerator, spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const runner = createTestRunner({
    ...fixedStart, // the two runs' span times compare equal
    functions: makeFunctions(),
    skipTime: false,
    observer: otelObserver({ tracer: provider.getTracer("test") })
  })
  const execution = await runner.start("traced", { run: String(evicting) }, { executionId: "traced-1" })
  const evict = async () => {
    if (evicting) await execution.evict()
  }
  await execution.settle() // the first attempt failed, the retry is due in 1 s
  await evict()
  await execution.advanceTime({ seconds: 1 })
  await execution.settle() // the second attempt succeeded; waiting 30 s
  await evict()
  await execution.advanceTime({ seconds: 30 })
  await execution.settle() // waiting for the callback
  await evict()
  await execution.sendCallbackSuccess("approval", "yes")
  await execution.settle() // the map, the invoke and its child
  assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
  assert.deepStrictEqual(execution.result, { approved: "yes", mapped: [10, 20], doubled: 2 })
  assert.strictEqual(execution.invocations, evicting ? 4 : 1)
  await runner.dispose()
  return exporter.getFinishedSpans().map(shapeOf)
}

describe("reprise/otel traces", () => {
  it("one span per execution, operation and step attempt, parented by derived ids, and the same set after evictions and replays", async () => {
    const spans = await traceOf(false)
    const byName = (name: string) => {
      const found = spans.filter((s) => s.name === name)
      assert.strictEqual(found.length, 1, `one span named ${name}: ${spans.map((s) => s.name).join(", ")}`)
      return found[0]!
    }
    // Each span once.
    assert.strictEqual(new Set(spans.map((s) => s.spanId)).size, spans.length)
    const root = byName("execution traced")
    assert.isUndefined(root.parent)
    assert.strictEqual(root.attributes["reprise.status"], "SUCCEEDED")
    const traceIds = new Set(spans.map((s) => s.traceId))
    assert.strictEqual(traceIds.size, 1, "the child execution is in its parent's trace")

    const flaky = byName("Step flaky")
    assert.strictEqual(flaky.parent, root.spanId)
    const attempt1 = byName("flaky attempt 1")
    assert.strictEqual(attempt1.parent, flaky.spanId)
    assert.isTrue(attempt1.error)
    assert.strictEqual(attempt1.attributes["reprise.operation.name"], "flaky")
    assert.strictEqual(byName("flaky attempt 2").parent, flaky.spanId)
    assert.isFalse(byName("flaky attempt 2").error)

    const wait = byName("Wait pause")
    assert.strictEqual(wait.parent, root.spanId)
    assert.strictEqual(wait.end - wait.start, 30_000)
    const approval = byName("WaitForCallback approval")
    assert.strictEqual(approval.parent, root.spanId)
    const callback = spans.find((s) => s.attributes["reprise.operation.type"] === "CALLBACK")!
    assert.strictEqual(callback.parent, approval.spanId)

    const map = byName("Map items")
    assert.strictEqual(map.parent, root.spanId)
    const iterations = spans.filter((s) => s.attributes["reprise.operation.subtype"] === "MapIteration")
    assert.strictEqual(iterations.length, 2)
    for (const iteration of iterations) assert.strictEqual(iteration.parent, map.spanId)
    for (const value of [1, 2]) {
      const item = byName(`Step item-${value}`)
      assert.include(iterations.map((i) => i.spanId), item.parent)
    }

    const invoke = byName("ChainedInvoke call-child")
    assert.strictEqual(invoke.parent, root.spanId)
    const child = byName("execution child")
    assert.strictEqual(child.parent, invoke.spanId, "the child's execution span hangs under the invoke")
    assert.strictEqual(byName("Step double").parent, child.spanId)

    // Every parent is a span of the set, except the root's.
    const ids = new Set(spans.map((s) => s.spanId))
    for (const span of spans) if (span !== root) assert.isTrue(ids.has(span.parent!), `${span.name}'s parent is exported`)

    // Evicted at every pause: each part runs on a replay of the log, and exactly the same spans come out.
    const replayed = await traceOf(true)
    const key = (s: Shape) => JSON.stringify([s.name, s.traceId, s.spanId, s.parent, s.start, s.end, s.error])
    assert.deepStrictEqual(replayed.map(key).sort(), spans.map(key).sort())
  })
})
