/**
 * reprise/otel: traces and metrics of executions with whatever OpenTelemetry SDK the application installed, through
 * `@opentelemetry/api` (an optional peer dependency). See docs/observability.md.
 *
 *   import { otelObserver, repriseIdGenerator } from "reprise/otel"
 *   const provider = new NodeTracerProvider({ idGenerator: repriseIdGenerator, spanProcessors: [...] })
 *   serve({ functions, observer: otelObserver() })
 *
 * Spans come from the engine's writes (src/engine/trace-spans.ts): each once, when what it covers has ended, with
 * ids derived from the execution and operation ids. The SDK makes a span's id itself; `repriseIdGenerator` hands it
 * the derived one while Reprise starts a span (and a random one otherwise), so that parents named by id across
 * resumes, processes and invoked executions are the very spans exported. Without it the spans are still emitted
 * once each, but their ids are random and only the parent ids are derived.
 */
import {
  context,
  type Context,
  type Meter,
  metrics,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Tracer
} from "@opentelemetry/api"
import {
  type ExecutionObserverShape,
  measurementsOf,
  parseTraceparent,
  type PlannedSpan,
  spanIdOf,
  type SpanError,
  spansOf,
  traceIdOf
} from "reprise/engine"

const INSTRUMENTATION = "reprise"

/** The id the next span started by Reprise takes; empty between Reprise's own startSpan calls. */
const pending: { traceId?: string | undefined; spanId?: string | undefined } = {}

const randomHex = (bytes: number): string => {
  const buffer = new Uint8Array(bytes)
  crypto.getRandomValues(buffer)
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("")
}

/**
 * An SDK `IdGenerator` (pass it as the tracer provider's `idGenerator`): Reprise's derived ids for the spans Reprise
 * starts, random ids (as the SDK's own generator) for every other span.
 */
export const repriseIdGenerator = {
  generateTraceId(): string {
    const id = pending.traceId
    pending.traceId = undefined
    return id ?? randomHex(16)
  },
  generateSpanId(): string {
    const id = pending.spanId
    pending.spanId = undefined
    return id ?? randomHex(8)
  }
}

/** The OTel context of a W3C traceparent (a step's `traceparent`): run code under it to nest its spans there. */
export const contextOf = (traceparent: string, parent: Context = context.active()): Context => {
  const parsed = parseTraceparent(traceparent)
  if (parsed === undefined) return parent
  return trace.setSpanContext(parent, {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true
  })
}

/** Runs `fn` with the step attempt's span as the active parent (`ctx.step("x", (step) => withStepContext(step, …))`). */
export const withStepContext = <T>(step: { readonly traceparent: string }, fn: () => T): T =>
  context.with(contextOf(step.traceparent), fn)

export interface OtelObserverOptions {
  /** Default: the global tracer provider's tracer "reprise". */
  readonly tracer?: Tracer
  /** Default: the global meter provider's meter "reprise". */
  readonly meter?: Meter
}

/** Starts a span with Reprise's ids (through repriseIdGenerator) under `parentSpanId`, or as a root. */
const startWithIds = (tracer: Tracer, span: Pick<PlannedSpan, "traceId" | "spanId" | "parentSpanId" | "name" | "attributes"> & { startTime?: number }) => {
  const parent = span.parentSpanId === undefined
    ? ROOT_CONTEXT
    : trace.setSpanContext(ROOT_CONTEXT, { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true })
  pending.traceId = span.parentSpanId === undefined ? span.traceId : undefined
  pending.spanId = span.spanId
  try {
    return tracer.startSpan(span.name, { ...(span.startTime === undefined ? {} : { startTime: span.startTime }), attributes: span.attributes }, parent)
  } finally {
    pending.traceId = undefined
    pending.spanId = undefined
  }
}

/** How many sampled executions' spans are held open at most, waiting for their execution's end (the oldest is let go). */
const OPEN_EXECUTION_SPANS = 10_000

/**
 * Whether an execution's spans are recorded: the SDK's sampler decides once per execution, for its execution span,
 * and its operations' spans follow. They are emitted before that span (which ends last), under parents that are
 * never seen live, so each span asked alone would be sampled on its own (a ratio sampler kept children of dropped
 * executions). A caller or parent execution that said "not sampled" (traceparent flags 00) is followed. The
 * decision is asked by starting the execution span itself, with its real parent and start time: a span the sampler
 * dropped is ended at once (nothing is exported), a kept one is held and ended as the execution span when its end is
 * written. A span started and never ended stays live in the SDK (`otel.sdk.span.live`) and in any processor that
 * tracks spans from `onStart` to `onEnd`. A sampler that decides by trace id (ratio, always on or off,
 * parent-based) decides the same in every process.
 */
const makeSamplingDecisions = (tracer: Tracer) => {
  /** By execution id, and by trace id for the executions that began a trace (their invoked children follow them). */
  const decisions = new Map<string, boolean>()
  /** Kept execution spans, by span id, until their execution ends here. */
  const open = new Map<string, Span>()
  const remember = (key: string, sampled: boolean) => {
    if (decisions.size >= 10_000) decisions.clear() // asked again after, with the same answer
    decisions.set(key, sampled)
  }
  /** The sampler's decision for the execution span, asked by starting it. */
  const probe = (state: Parameters<ExecutionObserverShape["written"]>[0], traceId: string, parentSpanId: string | undefined): boolean => {
    const spanId = spanIdOf(state.executionId, undefined, undefined, state.rewinds)
    if (open.has(spanId)) return true // asked again after the decisions were cleared: already kept
    const span = startWithIds(tracer, {
      traceId,
      spanId,
      parentSpanId,
      name: `execution ${state.functionName}`,
      startTime: state.rewoundAt ?? state.startedAt,
      attributes: { "reprise.execution_id": state.executionId, "reprise.function": state.functionName }
    })
    const sampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    if (!sampled) span.end() // an unsampled span is never exported
    else {
      if (open.size >= OPEN_EXECUTION_SPANS) open.delete(open.keys().next().value!)
      open.set(spanId, span)
    }
    return sampled
  }
  const decide = (state: Parameters<ExecutionObserverShape["written"]>[0]): boolean => {
    const known = decisions.get(state.executionId)
    if (known !== undefined) return known
    const parsed = parseTraceparent(state.traceparent)
    const traceId = traceIdOf(state)
    // An invoked child's traceparent is its parent's invoke span, with the parent's decision (the parent's engine
    // asked this observer); one made here is the same. No probe: its span has its parent, not the trace's root.
    let sampled = parsed?.sampled ?? true
    if (sampled && state.parent !== undefined) sampled = decisions.get(`trace:${traceId}`) ?? true
    else if (sampled) {
      sampled = probe(state, traceId, parsed?.spanId)
      remember(`trace:${traceId}`, sampled)
    }
    remember(state.executionId, sampled)
    return sampled
  }
  /** The span held for an execution span, if its probe kept it here: it is ended as that span. */
  const take = (spanId: string): Span | undefined => {
    const span = open.get(spanId)
    open.delete(spanId)
    return span
  }
  return { decide, take }
}

/** A recorded story as a stack trace's text: the user's frames, then each cause's ("Caused by:", nearest first). */
const stackTextOf = (error: SpanError): string => {
  const frames = (stackTrace: ReadonlyArray<string> | undefined) => (stackTrace ?? []).map((frame) => `\n    ${frame.trim()}`).join("")
  const causes = (error.causes ?? []).map((cause) => `\nCaused by: ${cause.errorType}: ${cause.errorMessage}${frames(cause.stackTrace)}`)
  return `${error.type}: ${error.message}${frames(error.stackTrace)}${causes.join("")}`
}

const emit = (tracer: Tracer, span: PlannedSpan, held: Span | undefined): void => {
  const started = held?.setAttributes(span.attributes) ?? startWithIds(tracer, span)
  if (span.error !== undefined) {
    started.setStatus({ code: SpanStatusCode.ERROR, message: `${span.error.type}: ${span.error.message}` })
    started.setAttribute("error.type", span.error.type)
    // The semantic conventions' exception event, where backends look for a failure's stack and causes.
    started.recordException({ name: span.error.type, message: span.error.message, stack: stackTextOf(span.error) }, span.endTime)
  }
  started.end(span.endTime)
}

/** The observer to give a host (`serve({ observer })`) or the test runner: spans and metrics through the OTel API. */
export const otelObserver = (options: OtelObserverOptions = {}): ExecutionObserverShape => {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION)
  const decisions = makeSamplingDecisions(tracer)
  const meter = options.meter ?? metrics.getMeter(INSTRUMENTATION)
  const started = meter.createCounter("reprise.executions.started", { description: "Executions started" })
  const ended = meter.createCounter("reprise.executions.ended", { description: "Executions ended, by status" })
  const attempts = meter.createCounter("reprise.step.attempts", { description: "Step attempts, by outcome" })
  const histograms = {
    "reprise.wakeup.latency": meter.createHistogram("reprise.wakeup.latency", {
      description: "How late a wait ended, or a retry or poll began, after its due time",
      unit: "ms"
    }),
    "reprise.queue.latency": meter.createHistogram("reprise.queue.latency", {
      description: "How long a queued execution waited (flow control) after it could have run",
      unit: "ms"
    })
  } as const
  const instruments = {
    "reprise.executions.started": started,
    "reprise.executions.ended": ended,
    "reprise.step.attempts": attempts
  } as const
  return {
    // A step's traceparent and an invoked child's carry this decision (the engine asks when it makes them).
    sampled: (state) => {
      try {
        return decisions.decide(state)
      } catch (error) {
        console.error("reprise/otel: could not ask the sampler", error)
        return parseTraceparent(state.traceparent)?.sampled ?? true
      }
    },
    written: (state, events) => {
      // Telemetry must never break an execution: a failing SDK loses a span, not a write.
      try {
        const spans = spansOf(state, events)
        if (spans.length > 0 && decisions.decide(state)) for (const span of spans) emit(tracer, span, decisions.take(span.spanId))
        for (const m of measurementsOf(state, events)) {
          if (m.name === "reprise.wakeup.latency" || m.name === "reprise.queue.latency") histograms[m.name].record(m.value, m.attributes)
          else instruments[m.name].add(m.value, m.attributes)
        }
      } catch (error) {
        console.error("reprise/otel: could not record telemetry", error)
      }
    }
  }
}
