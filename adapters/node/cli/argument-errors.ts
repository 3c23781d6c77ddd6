/**
 * Usage errors every command words alike, those with options of their own (pause, resume, fork, rewind,
 * replay-check) as the others: Node's parseArgs errors said plainly, and an empty argument named.
 */

/** Node's parseArgs errors, said plainly: "unknown option --colour", "--input needs a value". */
export const readableParseError = (error: unknown): string => {
  const message = error instanceof Error ? error.message.split("\n")[0]! : String(error)
  const unknown = /^Unknown option '([^']+)'/.exec(message)
  // Only -h and -v are short options: "-x" is the start of a value (a failure message, a negative result).
  if (unknown !== null && /^-[^-]/.test(unknown[1]!)) return `unknown option ${unknown[1]}: a value that starts with "-" goes after "--" (… -- "${unknown[1]}…")`
  if (unknown !== null) return `unknown option ${unknown[1]}`
  const missing = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message)
  if (missing !== null) return `${missing[1]} needs a value`
  return message
}

/**
 * What is wrong with an empty argument (`reprise pause ""`, an unset shell variable), or undefined: it would make an
 * empty path segment, which no route has ("not found: No route …", exit 5, for what is a usage error).
 */
export const emptyArgument = (arg: string | undefined, what: string): string | undefined =>
  arg === "" ? `an empty argument where reprise expects ${what}` : undefined
