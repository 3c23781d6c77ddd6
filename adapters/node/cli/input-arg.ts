/** The CLI's `--input`: JSON text, or `@file.json` for the JSON in a file; a bad one is a usage error (exit 2). */
import { readFileSync } from "node:fs"
import { hasNonFinite, hasRoundedInteger } from "reprise/http"
import { CliError, EXIT } from "./client.ts"

const usage = (message: string) => new CliError(`${message} (reprise --help)`, EXIT.usage)

/** JSON text, parsed; `what` names it in the error. A number out of range or rounded is refused, as the HTTP API refuses it. */
export const parseJsonArg = (text: string, what: string): unknown => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw usage(`${what} is not valid JSON`)
  }
  if (hasNonFinite(value)) throw usage(`${what} holds a number out of range (it would be sent as null)`)
  if (hasRoundedInteger(text)) throw usage(`${what} holds an integer beyond 2^53, which a JSON number cannot hold exactly (it would be sent rounded): give it as a string`)
  return value
}

/** `--input`: JSON, or `@file.json` for the JSON in a file. */
export const inputOf = (text: string): unknown => {
  if (!text.startsWith("@")) return parseJsonArg(text, "--input")
  const path = text.slice(1)
  let contents: string
  try {
    contents = readFileSync(path, "utf8")
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw usage(`--input ${text}: ${code === "ENOENT" ? "no such file" : `cannot read it (${String(code ?? error)})`}`)
  }
  return parseJsonArg(contents, `--input ${text} (the file)`)
}
