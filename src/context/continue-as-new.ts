/**
 * `ctx.continueAsNew(input)`: the execution goes on in a fresh log (design.md §3). The next run, `<id>~2`, then
 * `<id>~3` …, is started first, then this run's log ends with ExecutionContinuedAsNew: a crash between the two
 * replays up to here and starts the same run again, which an idempotent start answers with the one already made.
 * Not an operation: it takes no id, so it needs no replay of its own; the run that calls it ends there.
 */
import { type ContextCore, never } from "./context-core.ts"
import { ConfigurationError } from "./errors.ts"

const refuse = (core: ContextCore, message: string): never => {
  const error = new ConfigurationError(message)
  core.session.fail(error)
  throw error
}

export const continueAsNew = async (core: ContextCore, input: unknown): Promise<never> => {
  const { session } = core
  // From a step's body (or another context's code) it is refused as every durable call is: it had ended the run
  // with the step unrecorded (the API probe).
  if (core.misused("continueAsNew") !== undefined) return never()
  if (session.replayOnly !== undefined) return never() // the replay check stops here: the log ends with this run
  if (session.continueAsNew === undefined || session.keepsPatchMarkers === false) {
    return refuse(core, "ctx.continueAsNew needs a store that keeps the whole log; Lambda's durable-execution service keeps only operations")
  }
  let payload: string | undefined
  try {
    payload = input === undefined ? undefined : JSON.stringify(input)
  } catch (error) {
    return refuse(core, `The input of continueAsNew is not serialisable as JSON: ${(error as Error).message}`)
  }
  core.checkPayload(payload, "The input of continueAsNew")
  await session.whenResumed()
  // The next run's start is work in flight: the actor must not look idle meanwhile.
  session.enterUserCode()
  try {
    await session.continueAsNew(payload)
  } finally {
    session.exitUserCode()
  }
  return never() // this run has ended: nothing after the call runs
}
