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

/**
 * Whether an execution's spans are recorded: the SDK's sampler decides once per execution, for its execution span,
 * and its operations' spans follow. They are emitted before that span (which ends last), under parents that are
 * never seen live, so each span asked alone would be sampled on its own (a ratio sampler kept children of dropped
 * executions). A caller or parent execution that said "not sampled" (traceparent flags 00) is followed. The
 * decision is asked by starting the execution span and not ending it (a span not ended is never exported); a
 * sampler that decides by trace id (ratio, always on or off, parent-based) decides the same in every process.
 */
const makeSamplingDecisions = (tracer: Tracer) => {
  /** By execution id, and by trace id for the executions that began a trace (their invoked children follow them). */
  const decisions = new Map<string, boolean>()
  const remember = (key: string, sampled: boolean) => {
    if (decisions.size >= 10_000) decisions.clear() // asked again after, with the same answer
    decisions.set(key, sampled)
  }
  return (state: Parameters<ExecutionObserverShape["written"]>[0]): boolean => {
    const known = decisions.get(state.executionId)
    if (known !== undefined) return known
    const parsed = parseTraceparent(state.traceparent)
    const traceId = traceIdOf(state)
    // An invoked child's traceparent is its parent's invoke span, with the parent's decision where the parent's
    // engine had this observer, else "sampled" whatever the sampler made of the parent: the child takes its trace's
    // decision, made here for the execution that began it, else asked of the sampler as that execution's was (a
    // root span of the trace, when it began one).
    const invoked = state.parent !== undefined
    let sampled = parsed?.sampled ?? true
    if (sampled && invoked) sampled = decisions.get(`trace:${traceId}`) ?? probe(tracer, state, traceId, undefined)
    else if (sampled) {
      sampled = probe(tracer, state, traceId, parsed?.spanId)
      remember(`trace:${traceId}`, sampled)
    }
    remember(state.executionId, sampled)
    return sampled
  }
}

/** The sampler's decision for an execution span, asked by starting it and not ending it. */
const probe = (tracer: Tracer, state: Parameters<ExecutionObserverShape["written"]>[0], traceId: string, parentSpanId: string | undefined): boolean => {
  const span = startWithIds(tracer, {
    traceId,
    spanId: spanIdOf(state.executionId, undefined, undefined, state.rewinds),
    parentSpanId,
    name: `execution ${state.functionName}`,
    attributes: { "reprise.execution_id": state.executionId, "reprise.function": state.functionName }
  })
  return (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
}

const emit = (tracer: Tracer, span: PlannedSpan): void => {
  const started = startWithIds(tracer, span)
  if (span.error !== undefined) {
    started.setStatus({ code: SpanStatusCode.ERROR, message: `${span.error.type}: ${span.error.message}` })
    started.setAttribute("error.type", span.error.type)
  }
  started.end(span.endTime)
}

/** The observer to give a host (`serve({ observer })`) or the test runner: spans and metrics through the OTel API. */
export const otelObserver = (options: OtelObserverOptions = {}): ExecutionObserverShape => {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION)
  const sampled = makeSamplingDecisions(tracer)
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
        return sampled(state)
      } catch (error) {
        console.error("reprise/otel: could not ask the sampler", error)
        return parseTraceparent(state.traceparent)?.sampled ?? true
      }
    },
    written: (state, events) => {
      // Telemetry must never break an execution: a failing SDK loses a span, not a write.
      try {
        const spans = spansOf(state, events)
        if (spans.length > 0 && sampled(state)) for (const span of spans) emit(tracer, span)
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
