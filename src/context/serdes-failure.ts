/**
 * A serdes that throws is not the operation's failure for user code to catch or retry: as in AWS's SDK (an
 * unrecoverable invocation), the execution fails with the SerdesFailedError, the operation left as it was.
 */
import { SerdesFailedError } from "./errors.ts"
import type { Session } from "./session.ts"

/** True (and the execution is failing) when `error` is a serdes failure; the caller then stops (`never()`). */
export const failedBySerdes = (session: Pick<Session, "fail">, error: unknown): boolean => {
  if (!(error instanceof SerdesFailedError)) return false
  session.fail(error)
  return true
}
