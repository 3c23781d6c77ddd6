/**
 * A recorded error's story as text lines under the error's own (its data, its frames, then each cause with its
 * frames): what the CLI prints under a failure and `expectSucceeded` throws.
 */
import type { ErrorObject } from "./events.ts"

export const errorStoryLines = (error: ErrorObject, indent: string): Array<string> => [
  ...(error.errorData === undefined ? [] : [`${indent}data ${error.errorData}`]),
  ...(error.stackTrace ?? []).map((frame) => `${indent}  ${frame}`),
  ...(error.causes ?? []).flatMap((cause) => [
    `${indent}caused by ${cause.errorType}: ${cause.errorMessage}`,
    ...(cause.stackTrace ?? []).map((frame) => `${indent}  ${frame}`)
  ])
]
