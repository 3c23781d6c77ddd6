/**
 * A serdes that throws is not the operation's failure for user code to catch or retry: as in AWS's SDK (an
 * unrecoverable invocation), the execution fails with the SerdesFailedError, the operation left as it was.
 */
import { never } from "./context-core.ts"
import { SerdesFailedError } from "./errors.ts"
import { deserializeWith } from "./serdes-call.ts"
import type { Serdes, SerdesContext } from "./serdes.ts"
import type { Session } from "./session.ts"

/** True (and the execution is failing) when `error` is a serdes failure; the caller then stops (`never()`). */
export const failedBySerdes = (session: Pick<Session, "fail">, error: unknown): boolean => {
  if (!(error instanceof SerdesFailedError)) return false
  session.fail(error)
  return true
}

/**
 * The value read back from a stored payload. A serdes that throws fails the execution here, where the read-back
 * happens, not at the caller: a batch or a combinator awaiting the operation would count it as the item's failure.
 */
export const readBack = async <T>(session: Pick<Session, "fail">, serdes: Pick<Serdes<T>, "deserialize">, payload: string | undefined, context: SerdesContext): Promise<T> => {
  try {
    return (await deserializeWith(serdes, payload, context)) as T
  } catch (error) {
    if (failedBySerdes(session, error)) return never<T>()
    throw error
  }
}
