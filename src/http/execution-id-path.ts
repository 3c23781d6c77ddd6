/**
 * An execution id in a path that no execution can have is a 404 before any store is asked: ids are at most 240
 * characters when chosen by a client, longer only as the engine extends them (children `…:invoke:3`, runs `…~2`,
 * Lambda's encoded ARNs), always of these characters. A store may refuse the key outright (Deno KV reads at most
 * 2,049 bytes of key), and its refusal would read as a store failure (503, retried for ever).
 */
import type { MiddlewareHandler } from "hono"
import { problemResponse } from "./problem.ts"

/** Far above any id the engine makes, and within every store's key limit. */
export const MAX_EXECUTION_ID_LENGTH = 1024
const ID_SHAPE = /^[A-Za-z0-9._:~-]+$/

export const executionIdPath = (): MiddlewareHandler => async (c, next) => {
  const id = c.req.param("id")
  if (id !== undefined && (id.length > MAX_EXECUTION_ID_LENGTH || !ID_SHAPE.test(id))) {
    const shown = id.length > 100 ? `${id.slice(0, 100)}… (${id.length} characters)` : id
    // Worded as the engine words an id no execution has ("No execution …"): one message for one answer.
    return problemResponse("execution-not-found", `No execution ${JSON.stringify(shown)}`, c.req.path)
  }
  await next()
}
