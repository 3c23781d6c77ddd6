/**
 * The form that starts an execution: a JSON input editor and a button. The client script (client-script.ts, kind
 * "start") parses the input first and refuses text that is not JSON, sending nothing; otherwise it posts
 * `{"input": ...}` as JSON through the console's proxy to the API's own start route
 * (`POST /v1/functions/:name/executions`), then opens the new execution's page.
 */
import { html } from "hono/html"
import type { Html } from "./layout.ts"

/** The proxy path of the API's start route for `functionName`. */
export const startApi = (functionName: string): string => `/console/api/v1/functions/${encodeURIComponent(functionName)}/executions`

export interface StartFormOptions {
  /** The editor's initial text (JSON); empty: no input. */
  readonly input?: string
  readonly button: string
  /** Asked before anything is sent (window.confirm). */
  readonly confirm?: string
  readonly id?: string
}

export const startForm = (functionName: string, options: StartFormOptions): Html =>
  html`<form class="start" data-api="${startApi(functionName)}" data-kind="start" data-function="${functionName}"${
    options.id === undefined ? "" : html` id="${options.id}"`
  }${options.confirm === undefined ? "" : html` data-confirm="${options.confirm}"`}>
<label class="muted">Input (JSON; leave empty for none; Ctrl+Enter starts)<textarea name="input" rows="6" spellcheck="false" placeholder='any JSON value, such as {"id": 1}' aria-label="Input (JSON) for ${functionName}">${
    options.input ?? ""
  }</textarea></label><div><button type="submit" class="start-button">${options.button}</button></div></form>`
