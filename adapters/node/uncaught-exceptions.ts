/**
 * An exception nothing caught ends a Node process. Thrown by a durable function's own code where no await of the
 * engine sees it (in a timer or an event handler a step body set up), it took the server down, and each restart
 * resumed the execution that threw it, which threw it again: no start stayed up (found by the crash probe). Thrown in
 * code a durable function owns (`userCodeRunning`, which follows the async context of the code that set the timer),
 * it is a line of the log naming the execution and operation, and the server goes on; the step goes on waiting for
 * what its body awaited (its timeout or a stop ends it). Thrown anywhere else, it ends the process as Node would:
 * the server's own state may be broken.
 */
import { type UserCode, userCodeRunning } from "reprise/host"

export const logUserCodeExceptions = (report: (error: unknown, where: UserCode) => void): (() => void) => {
  const listener = (error: unknown) => {
    const where = userCodeRunning()
    if (where !== undefined) return report(error, where)
    if (process.listenerCount("uncaughtException") > 1) return // the application handles it its own way
    console.error(error) // Node's own end: the error on stderr, exit code 1
    process.exit(1)
  }
  process.on("uncaughtException", listener)
  return () => void process.off("uncaughtException", listener)
}
