/**
 * What `reprise start` did, read from the API's answer to `POST /v1/functions/:name/executions`: 201 created the
 * execution; 200 (`Idempotent-Replayed: true`) answers an execution that already existed. That is a repeat of a start
 * under the same name (`--name`), or a start of a debounced function that collapsed into the execution of its key
 * still waiting (docs/flow-control.md), whose input it replaced: its id is not the one asked for, and without
 * `--name` (the CLI sends no Idempotency-Key) only a debounce answers 200.
 */
import type { ExecutionJson } from "reprise/http"
import type { Answer } from "./client.ts"

export type StartOutcome = "started" | "already started" | "debounced into"

export const startOutcome = (answer: Answer<ExecutionJson>, functionName: string, executionName: string | undefined): StartOutcome => {
  if (answer.status === 201 || answer.headers.get("idempotent-replayed") !== "true") return "started"
  const id = answer.body.executionId
  // A name another function's execution holds is scoped to this one: `<name>~<function>` (src/engine/keyed-start.ts).
  const repeat = executionName !== undefined && (id === executionName || id === `${executionName}~${functionName}`)
  return repeat ? "already started" : "debounced into"
}
