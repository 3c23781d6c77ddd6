/**
 * A stop of one run of a `ctx.continueAsNew` chain stops the run that carries the execution on, as the engine does
 * in one process (engine-messages.ts). There it reads the next runs from its store; on Workers each run lives in its
 * own object, which this run's object cannot read, so the walk goes from object to object here:
 *
 * - this run continued as new: the stop goes to the next run's object (which follows the chain in turn);
 * - this run was stopped: a next run it started just before the stop reached it (the start comes before the
 *   continue is written) carries the chain now, and is stopped too.
 */
import { Exit, Option } from "effect"
import { ExecutionNotRunning, type ExecutionView, isLiveStatus, nextRunId, type StopOptions } from "reprise/engine"
import type { ErrorObject } from "reprise/store"
import type { Stub } from "./cf-types.ts"
import type { ExecutionRpc } from "./execution-rpc.ts"
import { fromWire, type Wire } from "./wire.ts"

export interface ChainStop {
  readonly self: string
  /** Stops this object's run (and its children). */
  readonly stopHere: () => Promise<Wire<void>>
  readonly describeHere: () => Promise<Wire<ExecutionView>>
  readonly peer: (executionId: string) => Stub<ExecutionRpc>
}

const notRunning = (exit: Exit.Exit<unknown, unknown>): ExecutionNotRunning | undefined => {
  const error = Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
  return error instanceof ExecutionNotRunning ? error : undefined
}

const viewOf = async (answer: Promise<Wire<ExecutionView>>): Promise<ExecutionView | undefined> => {
  const exit = fromWire(await answer)
  return Exit.isSuccess(exit) ? exit.value : undefined
}

/** The stop of the chain from this run on: the answer the engine gives in one process. */
export const stopChain = async (chain: ChainStop, error?: ErrorObject, options?: StopOptions): Promise<Wire<void>> => {
  const { self, peer } = chain
  const here = await chain.stopHere()
  const exit = fromWire(here)
  if (Exit.isSuccess(exit)) {
    const nextId = nextRunId(self)
    const next = await viewOf(peer(nextId).describe(nextId)).catch(() => undefined)
    if (next === undefined || next.continuedFrom !== self || !isLiveStatus(next.status)) return here
    const nextStop = await peer(nextId).stop(nextId, error, options)
    // Ended meanwhile (its own start saw this run stopped): this stop stopped one, which is the answer.
    return notRunning(fromWire(nextStop)) === undefined ? nextStop : here
  }
  if (notRunning(exit)?.status !== "CONTINUED_AS_NEW") return here
  const view = await viewOf(chain.describeHere())
  if (view?.continuedAs === undefined) return here
  return peer(view.continuedAs).stop(view.continuedAs, error, options)
}
