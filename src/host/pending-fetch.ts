/**
 * A request handler for a server that listens before its host has started (reprise/node, reprise/deno): a request
 * that arrives meanwhile waits for the host's handler, then is answered by it; if the host fails to start, it fails
 * with the host's error. Binding the port first means a server refused its port runs nothing (docs/design.md §9).
 */
export interface PendingFetch<A extends ReadonlyArray<unknown>> {
  /** The handler to serve from the start. */
  readonly fetch: (...args: A) => Response | Promise<Response>
  /** The host is up: its handler answers every request from now on, and those that waited. */
  readonly ready: (fetch: (...args: A) => Response | Promise<Response>) => void
  /** The host failed to start: the requests that waited fail with `error`. */
  readonly failed: (error: unknown) => void
}

export const pendingFetch = <A extends ReadonlyArray<unknown>>(): PendingFetch<A> => {
  type Fetch = (...args: A) => Response | Promise<Response>
  let app: Fetch | undefined
  let ready!: (fetch: Fetch) => void
  let failed!: (error: unknown) => void
  const started = new Promise<Fetch>((resolve, reject) => {
    ready = resolve
    failed = reject
  })
  started.catch(() => undefined) // only requests made while starting see the failure
  return {
    fetch: (...args) => app !== undefined ? app(...args) : started.then((fetch) => fetch(...args)),
    ready: (fetch) => {
      app = fetch
      ready(fetch)
    },
    failed
  }
}
