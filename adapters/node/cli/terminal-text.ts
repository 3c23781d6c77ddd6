/**
 * Text from the server (error messages, results, names, topics) printed as it is could drive the terminal (retitle
 * it, clear it, move the cursor) or start a line that reads like the CLI's own ("status     SUCCEEDED"). Every
 * control character in it is printed as an escape instead: C0, DEL, C1, the Unicode line separators and the bidi
 * overrides that reorder what is shown.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" }

const escaped = (char: string): string => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`

/** One line the CLI composed from fields: a line break (or any control character) inside a field shows escaped. */
export const oneLine = (text: string): string => text.replace(CONTROLS, escaped)

/**
 * Text about to be written: the CLI's own line breaks kept, every other control character escaped. JSON stays the
 * same JSON (a control character can only be inside a string there, where `\uXXXX` means the same character).
 */
export const terminalSafe = (text: string): string => text.split("\n").map(oneLine).join("\n")

/** An output whose writes go through terminalSafe: what every command of `reprise` writes to. */
export const safeWrites = <Io extends { readonly out: (line: string) => void; readonly err: (line: string) => void }>(io: Io): Io => ({
  ...io,
  out: (line: string) => io.out(terminalSafe(line)),
  err: (line: string) => io.err(terminalSafe(line))
})
