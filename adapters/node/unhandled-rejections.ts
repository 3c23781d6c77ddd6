/**
 * A promise rejected with nothing to handle it ends a Node process (Node 15 on). A server runs every execution's
 * code in one process, so one step body's floating promise (a `fetch` not awaited, which then failed) took down the
 * server, and the next start resumed that execution, which did it again: no start stayed up (found by the crash
 * probe). While a server runs, such a rejection is a line of its log at error level, with the error's fields.
 */
export const logUnhandledRejections = (report: (error: unknown) => void): (() => void) => {
  const listener = (reason: unknown) => report(reason)
  process.on("unhandledRejection", listener)
  return () => void process.off("unhandledRejection", listener)
}
