/**
 * Which durable function's code is running now, if any: the execution and, in a step body (or a waitForCondition
 * check), its operation. A fault raised outside every fiber (a throw in a timer a step body set) still runs in the
 * async context of the code that set it, so a host can tell a fault of the user's code from one of its own
 * (adapters/node/process-faults.ts).
 */
import { currentOwner } from "../context/usage-tracker.ts"

export interface UserCode {
  readonly executionId: string
  readonly operationId?: string
  readonly operationName?: string
}

export const userCodeRunning = (): UserCode | undefined => {
  const owner = currentOwner()
  if (owner === undefined) return undefined
  if (owner.kind === "step") {
    return { executionId: owner.executionId, operationId: owner.id, ...(owner.name === undefined ? {} : { operationName: owner.name }) }
  }
  const { parentId } = owner.core
  return {
    executionId: owner.core.session.executionId,
    ...(parentId === undefined ? {} : { operationId: parentId }),
    ...(owner.name === undefined ? {} : { operationName: owner.name })
  }
}
