/** The logger handed to code that runs inside one operation attempt (a step body, a waitForCondition check). */
import { defaultLogger } from "./default-logger.ts"
import { type DurableContextLogger, makeContextLogger } from "./logger.ts"
import type { Session } from "./session.ts"

/** Never silent: the code it serves only runs when the attempt really runs, not on replay. */
export const operationLogger = (session: Session, id: string, name: string | undefined, attempt: number): DurableContextLogger =>
  makeContextLogger(() => session.logger.customLogger ?? defaultLogger(session, { id, name, attempt }), () => false)
