/**
 * A promise rejected with nothing to handle it ends a Deno process, as it ends Node's: one step body's floating
 * promise took the server down, and each restart resumed the execution that did it (reprise/node's
 * unhandled-rejections.ts). Deno first dispatches an `unhandledrejection` event on the global scope; while a server
 * runs, its default is prevented and the rejection is a line of the log instead.
 */
interface RejectionEvent extends Event {
  readonly reason: unknown
}

export const logUnhandledRejections = (report: (error: unknown) => void): (() => void) => {
  const scope = globalThis as unknown as EventTarget // Deno's global scope (the project's type check has Node's typings)
  const listener = (event: Event) => {
    event.preventDefault()
    report((event as RejectionEvent).reason)
  }
  scope.addEventListener("unhandledrejection", listener)
  return () => scope.removeEventListener("unhandledrejection", listener)
}
