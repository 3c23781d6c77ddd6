/**
 * The CLI's writes to the terminal: the server's text in them (error messages, results, names, topics) with every
 * control character escaped (oneLine, shared with the host's terminal log), the CLI's own line breaks kept.
 */
import { oneLine } from "reprise/store"

export { oneLine }

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
