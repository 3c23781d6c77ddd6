/**
 * reprise/effect and Effect's own tracing: a step's body runs with its attempt's span as the parent span, so that
 * `Effect.withSpan` in it (which @effect/opentelemetry exports) nests under the attempt's span in the execution's
 * trace, as `withStepContext` does for the OTel API; not under a span of the process that ran the function, which a
 * replay makes again.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Tracer } from "effect"
import * as Durable from "../../src/effect/index.ts"
import { createRetryStrategy } from "../../src/index.ts"
import { createTestRunner } from "../../src/testing/index.ts"

describe("reprise/effect step bodies and Effect spans", () => {
  it("a span a step's body makes has its attempt's span as parent, on each attempt and on a replay", async () => {
    const spans: Array<Tracer.NativeSpan> = []
    const tracer = Tracer.make({
      span(options) {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    /** Each attempt's traceparent, as its body read it. */
    const attempts: Array<string> = []
    const fn = Durable.make("traced", () =>
      Effect.gen(function*() {
        const charged = yield* Durable.step(
          "charge",
          Effect.gen(function*() {
            const step = yield* Durable.StepCtx
            attempts.push(step.traceparent)
            if (step.attempt === 1) return yield* Effect.fail(new Error("gateway timeout"))
            return "ch-1"
          }).pipe(Effect.withSpan("http charge")),
          { retryStrategy: createRetryStrategy({ maxAttempts: 2, initialDelay: { seconds: 1 } }) }
        )
        return charged
      }).pipe(Effect.withSpan("handler"), Effect.withTracer(tracer)))
    const runner = createTestRunner({ functions: [fn], skipTime: false })
    const execution = await runner.start("traced", {}, { executionId: "traced-1" })
    await execution.settle()
    await execution.evict() // the second attempt runs on a replay
    await execution.advanceTime({ seconds: 1 })
    await execution.settle()
    assert.strictEqual(execution.status, "SUCCEEDED", JSON.stringify(execution.error))
    await runner.dispose()

    const charges = spans.filter((s) => s.name === "http charge")
    assert.strictEqual(charges.length, 2)
    assert.strictEqual(attempts.length, 2)
    charges.forEach((span, i) => {
      const [, traceId, spanId, flags] = attempts[i]!.split("-")
      const parent = Option.getOrUndefined(span.parent)
      assert.deepStrictEqual({ traceId: span.traceId, parent: parent?.spanId, sampled: span.sampled }, { traceId, parent: spanId, sampled: flags === "01" })
    })
  })
})
