/**
 * The arguments of a command about one execution: `<execution-id> [--url URL] [--api-key KEY] [--json] [--help]`
 * (pause, resume, delete). Usage errors are CliErrors with exit 2 naming the command's usage.
 */
import { parseArgs } from "node:util"
import { CliError, EXIT, makeClient, serverOption } from "./client.ts"
import { repeatedMessage, repeatedOption } from "./repeated-option.ts"
import { emptyArgument, readableParseError } from "./argument-errors.ts"

const OPTIONS = { url: { type: "string" }, "api-key": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const

export interface OneExecution {
  readonly id: string
  readonly json: boolean
  readonly client: ReturnType<typeof makeClient>
}

/** The execution id, `--json` and a client for the server; undefined once `--help` has printed the usage. */
export const oneExecutionArgs = (
  argv: ReadonlyArray<string>,
  usage: string,
  io: { readonly out: (line: string) => void; readonly env: Readonly<Record<string, string | undefined>> }
): OneExecution | undefined => {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new CliError(`${readableParseError(error)} (usage: ${usage})`, EXIT.usage)
  }
  const repeated = repeatedOption(argv, OPTIONS)
  if (repeated !== undefined) throw new CliError(`${repeatedMessage(repeated)} (usage: ${usage})`, EXIT.usage)
  const { positionals, values } = parsed
  if (values.help === true) {
    io.out(usage)
    return undefined
  }
  // One id at a time: a stray second word is a mistake (a deletion cannot be undone), not a second execution.
  if (positionals.length !== 1) throw new CliError(`give one execution id (usage: ${usage})`, EXIT.usage)
  const empty = emptyArgument(positionals[0], "the execution id")
  if (empty !== undefined) throw new CliError(`${empty} (usage: ${usage})`, EXIT.usage)
  const apiKey = values["api-key"] ?? (io.env.REPRISE_API_KEY === "" ? undefined : io.env.REPRISE_API_KEY)
  return { id: positionals[0]!, json: values.json === true, client: makeClient({ ...serverOption(values.url, io.env), apiKey }) }
}
