/**
 * Test parts for a store that fails underneath: the in-memory store wrapped as a user would plug their own, with
 * a switch per operation, and Effect's log lines captured through a Logger layer.
 */
import { type Cause, Effect, Layer, Logger, ManagedRuntime, References } from "effect"
import { Engine, type EngineOptions, type EngineShape } from "../../src/engine/index.ts"
import { ExecutionStore, type ExecutionStoreShape } from "../../src/store/execution-store.ts"
import { makeMemoryStore } from "../../src/store/memory-store.ts"
import { SeqConflict, StoreFailure } from "../../src/store/store-errors.ts"

export interface LogLine {
  readonly level: string
  readonly message: unknown
  readonly cause: Cause.Cause<unknown>
  readonly annotations: Readonly<Record<string, unknown>>
}

/**
 * While an operation is in `broken`, it fails with StoreFailure("disk full"), or dies (a driver bug) if `dies`.
 * While `fenced`, every append is refused as a SeqConflict at the log's own seq: a write fenced off by a lease this
 * host lost (reprise/postgres), which makes the actor go and the message be sent again to a fresh one.
 */
export const failingStore = () => {
  const inner = makeMemoryStore()
  const state = { broken: new Set<"append" | "setAlarm">(), dies: false, refused: 0, fenced: false }
  const refuse = (operation: string) => {
    state.refused++
    return state.dies
      ? Effect.die(new Error(`${operation}: the driver crashed`))
      : Effect.fail(new StoreFailure({ operation, reason: "disk full" }))
  }
  const store: ExecutionStoreShape = {
    ...inner,
    append: (executionId, events, expectedSeq, options) =>
      Effect.suspend(() =>
        state.fenced
          ? Effect.fail(new SeqConflict({ executionId, expectedSeq, actualSeq: expectedSeq }))
          : state.broken.has("append")
          ? refuse("append")
          : inner.append(executionId, events, expectedSeq, options)
      ),
    setAlarm: (executionId, at) =>
      Effect.suspend(() => state.broken.has("setAlarm") ? refuse("setAlarm") : inner.setAlarm(executionId, at))
  }
  return { store, state, inner }
}

/** A logger that keeps every line, with its cause and annotations. */
export const captureLogs = () => {
  const lines: Array<LogLine> = []
  const logger = Logger.make((options) =>
    void lines.push({
      level: options.logLevel,
      message: options.message,
      cause: options.cause,
      annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) }
    })
  )
  return { lines, layer: Logger.layer([logger]) }
}

/** A real engine over the failing store, logging into `lines`. */
export const makeFailingEngine = (options: EngineOptions) => {
  const { store, state } = failingStore()
  const logs = captureLogs()
  const runtime = ManagedRuntime.make(
    Engine.layer(options).pipe(Layer.provide(Layer.mergeAll(Layer.succeed(ExecutionStore, store), logs.layer)))
  )
  const engine = <A, E>(use: (engine: EngineShape) => Effect.Effect<A, E>): Promise<A> => runtime.runPromise(Engine.use(use))
  return { runtime, engine, state, lines: logs.lines }
}
