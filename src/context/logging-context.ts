/**
 * AWS's DurableLoggingContext: custom loggers (Powertools-style) receive it through `configureDurableLoggingContext`
 * and ask it, at each record, which execution and operation is logging. The operation is the one whose code runs
 * now (a step body or waitForCondition check, with its attempt; a child context), found as context misuse is.
 */
import type { Session } from "./session.ts"
import type { DurableLogData, DurableLoggingContext } from "./logger.ts"
import { currentOwner } from "./usage-tracker.ts"

export const loggingContextOf = (session: Session): DurableLoggingContext => ({
  getDurableLogData: () => {
    const data: DurableLogData = {
      // Lambda's request id where a host provides one; the other hosts have no request behind an invocation.
      requestId: session.invocation?.requestId ?? "",
      executionArn: session.executionId
    }
    if (session.invocation?.tenantId !== undefined) data.tenantId = session.invocation.tenantId
    const owner = currentOwner()
    // The operation's id as the runtime shows it (on Lambda, the service's id, as AWS's SDK gives it).
    const shown = session.invocation?.logLines?.operationId ?? ((id: string) => id)
    if (owner?.kind === "step") {
      data.operationId = shown(owner.id)
      if (owner.name !== undefined) data.operationName = owner.name
      data.attempt = owner.attempt
    } else if (owner?.kind === "context" && owner.core.parentId !== undefined) {
      data.operationId = shown(owner.core.parentId)
      if (owner.name !== undefined) data.operationName = owner.name
    }
    return data
  }
})
