/**
 * The default `ctx.logger` of an execution, or of one operation attempt (a step body, a waitForCondition check):
 * AWS's JSON lines, with the fields and the sink of the runtime (session.ts LogLineStyle), in AWS's order: the
 * request, the time, the level, the execution, the tenant, the operation.
 */
import { consoleJsonLogger, type DurableLogger } from "./logger.ts"
import { loggingContextOf } from "./logging-context.ts"
import type { Session } from "./session.ts"

export interface AttemptFields {
  readonly id: string
  readonly name?: string | undefined
  readonly attempt: number
}

export const defaultLogger = (session: Session, attempt?: AttemptFields): DurableLogger => {
  const invocation = session.invocation
  const style = invocation?.logLines
  // A context's logger names the operation whose code runs when it logs (a child context, a map item, a step
  // body), as AWS's does from its active context: the same fields a custom logger's DurableLogData holds.
  const running = attempt === undefined ? loggingContextOf(session) : undefined
  return consoleJsonLogger(
    (timestamp, level) => ({
      ...(invocation?.requestId === undefined ? {} : { requestId: invocation.requestId }),
      timestamp,
      level,
      [style?.executionField ?? "executionId"]: session.executionId,
      ...(invocation?.tenantId === undefined ? {} : { tenantId: invocation.tenantId }),
      ...(attempt === undefined
        ? operationFields(running!.getDurableLogData())
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

const operationFields = (data: { operationId?: string; operationName?: string; attempt?: number }) => ({
  ...(data.operationId === undefined ? {} : { operationId: data.operationId }),
  ...(data.operationName === undefined ? {} : { operationName: data.operationName }),
  ...(data.attempt === undefined ? {} : { attempt: data.attempt })
})
