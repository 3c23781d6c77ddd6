/** The logger handed to code that runs inside one operation attempt (a step body, a waitForCondition check). */
import type { Session } from "./session.ts"
import { consoleJsonLogger, type DurableContextLogger, makeContextLogger } from "./logger.ts"

/** Never silent: the code it serves only runs when the attempt really runs, not on replay. */
export const operationLogger = (session: Session, id: string, name: string | undefined, attempt: number): DurableContextLogger =>
  makeContextLogger(
    () =>
      session.logger.customLogger ??
        consoleJsonLogger(() => ({
          executionId: session.executionId,
          operationId: id,
          ...(name === undefined ? {} : { operationName: name }),
          attempt
        }), session.now, session.userLogLevel),
    () => false
  )
