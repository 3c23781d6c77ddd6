/**
 * The functions the server registers, named where a command was given one it does not know: a start refused (404),
 * and a listing by a function name that matches nothing, which a typo in `--function` gives as silently as a
 * function that had no execution ("No executions.").
 */
import { CliError, type Client, EXIT } from "./client.ts"

/** The server's function names; undefined when they cannot be read (the caller says what it has without them). */
const registeredNames = async (client: Client): Promise<ReadonlyArray<string> | undefined> =>
  (await client.request<{ functions: Array<{ name: string }> }>("GET", "/v1/functions").catch(() => undefined))?.functions.map((fn) => fn.name)

const registeredText = (names: ReadonlyArray<string>) => (names.length === 0 ? "the server registers none" : `registered: ${names.join(", ")}`)

/** A start refused because the function does not exist: the message names the ones that do. */
export const withRegisteredFunctions = async (error: unknown, client: Client): Promise<never> => {
  if (!(error instanceof CliError) || error.exitCode !== EXIT.notFound) throw error
  const names = await registeredNames(client)
  if (names === undefined) throw error
  throw new CliError(`${error.message}; ${registeredText(names)}`, EXIT.notFound)
}

/**
 * What an empty listing by function `name` adds when the server registers no such function (a misspelt name, or
 * one a deploy removed whose executions are gone too), else undefined.
 */
export const unregisteredNote = async (client: Client, name: string): Promise<string | undefined> => {
  const names = await registeredNames(client)
  if (names === undefined || names.includes(name)) return undefined
  return `The server registers no function ${JSON.stringify(name)} (${registeredText(names)}).`
}
