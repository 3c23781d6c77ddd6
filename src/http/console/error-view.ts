/**
 * A stored error with its story (src/context/error-story.ts): "Type: message", its data, the user's stack frames,
 * then each cause ("Caused by …", nearest first) with its own frames. Plain text in a <pre>, escaped by `html`.
 */
import { html } from "hono/html"
import type { ErrorObject } from "../../log/events.ts"
import { prettyPayload } from "./format.ts"
import type { Html } from "./layout.ts"

const frames = (stackTrace: ReadonlyArray<string> | undefined): string =>
  (stackTrace ?? []).map((frame) => `\n    ${frame.trim()}`).join("")

/** The error as text: what a terminal would print for it. */
export const errorText = (error: ErrorObject): string =>
  `${error.errorType}: ${error.errorMessage}${error.errorData === undefined ? "" : `\n${prettyPayload(error.errorData)}`}${
    frames(error.stackTrace)
  }${(error.causes ?? []).map((cause) => `\nCaused by ${cause.errorType}: ${cause.errorMessage}${frames(cause.stackTrace)}`).join("")}`

export const errorBlock = (error: ErrorObject, id?: string): Html =>
  html`<pre class="payload error-story"${id === undefined ? "" : html` id="${id}"`}>${errorText(error)}</pre>`
