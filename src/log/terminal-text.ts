/**
 * Text from executions (error messages, names, values) written to a terminal as it is could drive it (retitle it,
 * clear it, move the cursor) or start a line that reads like the writer's own. Every control character in it is
 * written as an escape instead: C0, DEL, C1, the Unicode line separators and the bidi overrides that reorder what is
 * shown. The CLI's output and the host's terminal log (host-logger.ts) both go through it.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

const escaped = (char: string): string => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`

/** One line composed from fields: a line break (or any control character) inside a field shows escaped. */
export const oneLine = (text: string): string => text.replace(CONTROLS, escaped)
