/**
 * What a running execution waits on, one line per open wait: "sleeping until 14:05 UTC (in 3 min)", "waiting on
 * callback warehouse", "retrying charge at 14:05 UTC (in 20 s)", "waiting on child <id>". Read from the
 * operations' statuses and timers (and, for an invoke's child, the history).
 */
import { html } from "hono/html"
import type { ExecutionWithOperationsJson as ExecutionJson, OperationJson } from "../views.ts"
import { ago, millis, time } from "./format.ts"
import type { OperationHistory } from "./history.ts"
import type { Html } from "./layout.ts"
import { treeRows } from "./tree.ts"

/** "14:05 UTC (in 3 min)": the clock time a person reads, the full instant in the tooltip. */
const at = (iso: string, now: number): Html => {
  const ms = millis(iso)
  const clock = ms === undefined ? iso : new Date(ms).toISOString().slice(11, 16)
  return html`<span title="${time(iso)} UTC">${clock} UTC</span> <span class="muted">(<span class="rel" data-at="${ms ?? ""}">${ago(ms, now)}</span>)</span>`
}

const open = (op: OperationJson) => op.status === "STARTED" || op.status === "PENDING"

/** A CALLBACK operation's name, or the name of the waitForCallback that holds it. */
export const callbackName = (op: OperationJson, operations: ReadonlyArray<OperationJson>): string =>
  op.name ?? operations.find((parent) => parent.id === op.parentId)?.name ?? op.id

/** One line for an operation that holds the execution, or undefined. */
const line = (op: OperationJson, name: string, operations: ReadonlyArray<OperationJson>, history: OperationHistory | undefined, now: number): Html | undefined => {
  if (!open(op)) return undefined
  switch (op.type) {
    case "WAIT":
      return op.waitUntil === undefined ? undefined : html`sleeping until ${at(op.waitUntil, now)}`
    case "CALLBACK":
      return html`waiting on callback <strong>${callbackName(op, operations)}</strong>`
    case "STEP":
      if (op.nextAttemptAt === undefined) return undefined
      return op.subType === "WaitForCondition"
        ? html`polling <strong>${name}</strong> again at ${at(op.nextAttemptAt, now)}`
        : html`retrying <strong>${name}</strong> at ${at(op.nextAttemptAt, now)}`
    case "CHAINED_INVOKE": {
      const child = history?.childExecutionId
      return child === undefined
        ? html`waiting on child <strong>${name}</strong>`
        : html`waiting on child <a class="mono" href="/console/executions/${encodeURIComponent(child)}">${child}</a>`
    }
    default:
      return undefined
  }
}

/** In development (devTools): a button that makes a pending wait succeed now. */
const fireNow = (executionId: string, op: OperationJson): Html =>
  html` <form class="inline" data-api="/console/api/v1/executions/${encodeURIComponent(executionId)}/timers/${encodeURIComponent(op.id)}/fire" data-kind="fire"
 data-done="Timer fired"><button type="submit" class="plain fire">Fire now</button></form>`

export const waitingOn = (execution: ExecutionJson, index: ReadonlyMap<string, OperationHistory>, now: number, devTools = false): Html => {
  if (execution.status !== "RUNNING" && execution.status !== "PAUSED") return html``
  const lines = treeRows(execution.operations).flatMap(({ name, op }) => {
    const shown = line(op, name, execution.operations, index.get(op.id), now)
    if (shown === undefined) return []
    // Not while paused: the engine refuses to fire a wait of a paused execution (resume it first).
    const fire = devTools && op.type === "WAIT" && execution.status === "RUNNING" ? fireNow(execution.executionId, op) : ""
    return [html`<li data-waiting-op="${op.id}">${shown}${fire}</li>`]
  })
  return html`<div class="card" id="waiting-on"><strong>Waiting on</strong>${
    lines.length === 0 ? html` <span class="muted">nothing: ${execution.status === "PAUSED" ? "paused" : "running"}</span>` : html`<ul>${lines}</ul>`
  }</div>`
}
