/**
 * `ctx.invoke`: start another registered durable function as a child execution and wait for its end.
 * The child's id is derived from the parent's and the operation's, so no replay or retry ever starts it twice;
 * the engine starts it when InvokeStarted is written and tells the parent when it ends.
 */
import { type Begun, type ContextCore, never } from "./context-core.ts"
import { InvokeError, RecordedError, revived } from "./errors.ts"
import { serializeWith } from "./serdes-call.ts"
import { failedBySerdes, readBack } from "./serdes-failure.ts"
import { type Serdes, serdesContext } from "./serdes.ts"

export interface InvokeConfig<I, O> {
  readonly payloadSerdes?: Serdes<I>
  readonly resultSerdes?: Serdes<O>
}

/** After a rewind the same operation id may invoke again: the rewind count keeps the new child apart from the old. */
export const childExecutionId = (parentExecutionId: string, operationId: string, rewinds = 0): string =>
  `${parentExecutionId}:invoke:${operationId}${rewinds === 0 ? "" : `:r${rewinds}`}`

export const runInvoke = async <I, O>(
  core: ContextCore,
  begun: Begun,
  functionName: string,
  input: I | undefined,
  config: InvokeConfig<I, O> | undefined
): Promise<O> => {
  const { session } = core
  const { id, ref } = begun
  const context = serdesContext(session.executionId, id)
  let op = begun.recorded
  if (op === undefined) {
    if (typeof functionName !== "string" || functionName.length === 0) {
      throw new InvokeError(`invoke needs the name of a registered durable function, got ${JSON.stringify(functionName)}`)
    }
    let payload: string | undefined
    try {
      payload = await serializeWith(config?.payloadSerdes ?? session.serdes.defaultSerdes, input, context)
    } catch (error) {
      if (failedBySerdes(session, error)) return never()
      throw error
    }
    core.checkPayload(payload, `The input of invoke ${JSON.stringify(ref.name ?? id)}`)
    await session.append([{
      _tag: "InvokeStarted",
      ...ref,
      functionName,
      childExecutionId: childExecutionId(session.executionId, id, session.state.rewinds),
      ...(payload === undefined ? {} : { input: payload })
    }])
    op = session.state.operations.get(id)!
  }
  while (op.status === "STARTED") op = await session.whenChanged(id)
  if (op.status === "SUCCEEDED") return await readBack<O>(session, (config?.resultSerdes ?? session.serdes.defaultSerdes) as Serdes<O>, op.result, context)
  const error = op.error ??
    { errorType: `Invoke${op.status === "TIMED_OUT" ? "TimedOut" : "Stopped"}`, errorMessage: `The invoked execution ${op.childExecutionId} ${op.status === "TIMED_OUT" ? "timed out" : "was stopped"}` }
  throw revived(InvokeError, error)
}
