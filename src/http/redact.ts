/**
 * What a log may say about a request. A callback route's path holds the callback id, which is a capability (whoever
 * has it can complete the callback, see callback-routes.ts), so it is never logged: the id is replaced by a marker,
 * on the API's routes and on the console's proxy of them alike.
 */
const CALLBACK_ID = /(\/v1\/callbacks\/)[^/?#]+/g

export const REDACTED = "[redacted]"

/** The path with every callback id replaced by REDACTED. */
export const redactPath = (path: string): string => path.replace(CALLBACK_ID, `$1${REDACTED}`)

/** A copy of the request to hand to an error reporter: the path redacted, no query, no credentials. */
export const redactedRequest = (request: Request): Request => {
  const url = new URL(request.url)
  const headers = new Headers(request.headers)
  for (const name of ["authorization", "cookie", "idempotency-key"]) headers.delete(name)
  return new Request(`${url.origin}${redactPath(url.pathname)}`, { method: request.method, headers })
}
