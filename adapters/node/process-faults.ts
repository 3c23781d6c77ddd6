/**
 * Faults of a durable function's code that would end the Node process, logged instead while a server owns it
 * (`handleSignals`, the default). A server runs every execution's code in one process, so one step body's floating
 * promise (a `fetch` not awaited, which then failed) or a throw in a timer it set took the server down, and the next
 * start resumed that execution, which did it again: no start stayed up (found by the crash probe).
 *
 * - A rejection nothing handles is a line of the log at error level, whoever's it is (Node would end the process).
 * - An exception nothing caught, thrown in code a durable function owns (`userCodeRunning`, which follows the async
 *   context of the code that set the timer), is a line naming the execution and operation; the step goes on waiting
 *   for what its body awaited. Thrown anywhere else, the server's own state may be broken: it ends the process as
 *   Node would, unless the application has a handler of its own, which then decides (with Sentry's, set its
 *   `exitEvenIfOtherHandlersAreRegistered`).
 *
 * One listener per event for the whole process, however many servers run in it (each server's saw the other's as
 * "the application's" and none ended the process: found by the review); the first server still open reports.
 */
import { type UserCode, userCodeRunning } from "reprise/host"

export interface FaultReports {
  rejection(reason: unknown): void
  exception(error: unknown, where: UserCode): void
}

const owners: Array<FaultReports> = []

const onRejection = (reason: unknown) => owners[0]?.rejection(reason)

const onException = (error: unknown) => {
  const where = userCodeRunning()
  const owner = owners[0]
  if (where !== undefined && owner !== undefined) return owner.exception(error, where)
  if (process.listeners("uncaughtException").some((listener) => listener !== onException)) return
  console.error(error) // Node's own end: the error on stderr, exit code 1
  process.exit(1)
}

/** Reports the process's faults through `reports` until the returned function is called (idempotent). */
export const logProcessFaults = (reports: FaultReports): (() => void) => {
  if (owners.length === 0) {
    process.on("unhandledRejection", onRejection)
    process.on("uncaughtException", onException)
  }
  owners.push(reports)
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    owners.splice(owners.indexOf(reports), 1)
    if (owners.length > 0) return
    process.off("unhandledRejection", onRejection)
    process.off("uncaughtException", onException)
  }
}
