/**
 * `ctx.createCallback`: hands out an id that the outside world completes (over HTTP, or from a test), with an
 * optional overall timeout and heartbeat timeout. Results are the raw string sent, unless a serdes says otherwise,
 * or the value its Schema decodes from it (callback-schema.ts).
 */
import { callbackSchema } from "./callback-schema.ts"
import type { Begun, ContextCore } from "./context-core.ts"
import { checkWaitMillis, durationToMillis } from "./duration.ts"
import { DurablePromise } from "./durable-promise.ts"
import { CallbackExternalError, CallbackTimeoutError, revived } from "./errors.ts"
import { serdesContext } from "./serdes.ts"
import type { CreateCallbackConfig } from "./types.ts"
import { readBack } from "./serdes-failure.ts"
import { afterTurn } from "./replay-order.ts"

export const startCallback = async <T>(
  core: ContextCore,
  begun: Begun,
  config: CreateCallbackConfig<T> | undefined
): Promise<[DurablePromise<T>, string]> => {
  const { session } = core
  const { id, ref } = begun
  let op = begun.recorded
  const schema = config?.schema === undefined ? undefined : callbackSchema(config.schema)
  if (op === undefined) {
    const what = `The callback ${JSON.stringify(ref.name ?? id)}`
    const timeoutMs = config?.timeout === undefined ? undefined : checkWaitMillis(durationToMillis(config.timeout, "timeout"), `${what} timeout`)
    const heartbeatMs = config?.heartbeatTimeout === undefined
      ? undefined
      : checkWaitMillis(durationToMillis(config.heartbeatTimeout, "heartbeatTimeout"), `${what} heartbeatTimeout`)
    const callbackId = await session.newCallbackId(id)
    await session.append([{
      _tag: "CallbackStarted",
      ...ref,
      callbackId,
      ...(timeoutMs === undefined ? {} : { timeoutAt: session.now() + timeoutMs }),
      ...(heartbeatMs === undefined ? {} : { heartbeatTimeoutMs: heartbeatMs }),
      ...(schema === undefined ? {} : { checked: true as const })
    }])
    op = session.state.operations.get(id)!
  }
  const callbackId = op.callbackId!
  session.callbackReached(id, schema?.check)
  // A serdes given beside a schema decodes (waitForCallback passes one, to decode after its context).
  const deserializer = config?.serdes ?? schema?.deserializer ?? session.serdes.defaultCallbackDeserializer
  const context = serdesContext(session.executionId, id)
  const result = afterTurn(begun, (async () => {
    let current = op
    while (current.status === "STARTED") current = await session.whenChanged(id)
    switch (current.status) {
      case "SUCCEEDED":
        return await readBack<T>(session, deserializer as Parameters<typeof readBack<T>>[1], current.result, context)
      case "TIMED_OUT":
        throw new CallbackTimeoutError(current.timedOutReason === "heartbeat" ? "Callback timed out on heartbeat" : "Callback timed out")
      default:
        // Failed from outside: AWS names it CallbackExternalError (a CallbackError).
        throw revived(CallbackExternalError, current.error ?? { errorType: "CallbackError", errorMessage: "Callback failed" })
    }
  })())
  return [new DurablePromise(result, () => session.markAwaited?.(id)), callbackId]
}
