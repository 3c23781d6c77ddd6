/**
 * The default `ctx.logger` of an execution, or of one operation attempt (a step body, a waitForCondition check):
 * AWS's JSON lines, with the fields and the sink of the runtime (session.ts LogLineStyle), in AWS's order: the
 * request, the time, the level, the execution, the tenant, the operation.
 */
import { consoleJsonLogger, type DurableLogger } from "./logger.ts"
import type { Session } from "./session.ts"

export interface AttemptFields {
  readonly id: string
  readonly name?: string | undefined
  readonly attempt: number
}

export const defaultLogger = (session: Session, attempt?: AttemptFields): DurableLogger => {
  const invocation = session.invocation
  const style = invocation?.logLines
  return consoleJsonLogger(
    (timestamp, level) => ({
      ...(invocation?.requestId === undefined ? {} : { requestId: invocation.requestId }),
      timestamp,
      level,
      [style?.executionField ?? "executionId"]: session.executionId,
      ...(invocation?.tenantId === undefined ? {} : { tenantId: invocation.tenantId }),
      ...(attempt === undefined
        ? {}
        : {
          operationId: style === undefined ? attempt.id : style.operationId(attempt.id),
          ...(attempt.name === undefined ? {} : { operationName: attempt.name }),
          attempt: attempt.attempt
        })
    }),
    session.now,
    session.userLogLevel,
    style?.write
  )
}
