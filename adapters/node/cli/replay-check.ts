/**
 * `reprise replay-check <function-file> (--history <file>... | --from <url>)`: replays recorded histories against
 * the functions the file exports now, without running a step body, and says per execution whether it replays
 * cleanly or where it first diverges. Exit 0 when every history replays cleanly, 1 otherwise: a deploy gate.
 *
 * A history file holds what `GET /v1/executions/:id/history` (or `reprise history --json`) answers, its `events`
 * alone, or an array of such histories. `--from` reads the histories of every RUNNING and PAUSED execution on the
 * server (every page), the ones a deploy would replay: one of a function the file no longer exports is reported as
 * not found. `--function` narrows either source to the functions named.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { parseArgs } from "node:util"
import type { DurableFunction } from "reprise"
import { type RecordedHistory, replayCheck, type ReplayReport } from "reprise/testing"
import { loadingUserFile } from "../cli-loading.ts"
import { CliError, type Client, EXIT, makeClient, reportError } from "./client.ts"
import { exportedFunctions } from "./exported-functions.ts"
import { repeatedMessage, repeatedOption } from "./repeated-option.ts"
import { readableParseError } from "./argument-errors.ts"
import { oneLine } from "./terminal-text.ts"

export interface CheckIo {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

export const REPLAY_CHECK_USAGE =
  "reprise replay-check <function-file> (--history FILE... | --from URL [--api-key KEY]) [--function NAME] [--json]"

const usage = (message: string) => new CliError(`${message} (usage: ${REPLAY_CHECK_USAGE})`, EXIT.usage)

const isHistory = (value: unknown): value is { events: ReadonlyArray<unknown> } =>
  typeof value === "object" && value !== null && Array.isArray((value as { events?: unknown }).events)

/** One file: a history, a bare list of events, or a list of histories. */
export const historiesIn = (json: unknown, file: string): Array<RecordedHistory> => {
  if (isHistory(json)) return [json]
  if (Array.isArray(json)) {
    if (json.length > 0 && json.every(isHistory)) return json
    if (json.every((e) => typeof e === "object" && e !== null && "_tag" in e)) return [json]
  }
  throw new CliError(`${file} holds no history: expected { "events": [...] } (GET /v1/executions/:id/history), its events, or a list of histories`, EXIT.usage)
}

const readHistories = (files: ReadonlyArray<string>): Array<RecordedHistory> =>
  files.flatMap((file) => {
    let text: string
    try {
      text = readFileSync(file, "utf8")
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT.usage)
    }
    try {
      return historiesIn(JSON.parse(text), file)
    } catch (error) {
      if (error instanceof CliError) throw error
      throw new CliError(`${file} is not valid JSON`, EXIT.usage)
    }
  })

/** Every page of a history. */
const fetchHistory = async (client: Client, id: string): Promise<RecordedHistory> => {
  const events: Array<unknown> = []
  let cursor: string | undefined
  for (let page = 0; page < 10_000; page++) {
    const path = `/v1/executions/${encodeURIComponent(id)}/history?limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`
    const answer = await client.request<{ events: Array<unknown>; nextCursor?: string }>("GET", path)
    events.push(...answer.events)
    if (answer.nextCursor === undefined) return { executionId: id, events }
    cursor = answer.nextCursor
  }
  throw new CliError(`the history of ${id} has more pages than the check reads`, EXIT.failed)
}

/**
 * The RUNNING and PAUSED executions on the server, with their whole histories: of the given functions, or of every
 * function (one the file no longer exports is then reported: the deploy would strand its executions).
 */
const fetchRunning = async (client: Client, functionNames: ReadonlyArray<string> | undefined): Promise<Array<RecordedHistory>> => {
  const histories: Array<RecordedHistory> = []
  for (const name of functionNames ?? [undefined]) {
    let cursor: string | undefined
    for (let page = 0; page < 10_000; page++) {
      const query = new URLSearchParams({
        ...(name === undefined ? {} : { function: name }),
        status: "RUNNING,PAUSED",
        limit: "1000",
        ...(cursor === undefined ? {} : { cursor })
      })
      const answer = await client.request<{ executions: Array<{ executionId: string }>; nextCursor?: string }>("GET", `/v1/executions?${query}`)
      for (const execution of answer.executions) histories.push(await fetchHistory(client, execution.executionId))
      if (answer.nextCursor === undefined) break
      cursor = answer.nextCursor
    }
  }
  return histories
}

const call = (shape: { type: string; subType: string; name?: string } | undefined) =>
  shape === undefined ? "nothing" : `${shape.type} ${shape.subType}${shape.name === undefined ? "" : ` ${JSON.stringify(shape.name)}`}`

export const reportLine = (report: ReplayReport): string => {
  switch (report.verdict) {
    case "replays cleanly":
      return `${report.executionId}  replays cleanly (${report.operations} operation${report.operations === 1 ? "" : "s"})`
    case "non-deterministic":
      return `${report.executionId}  NON-DETERMINISTIC at operation ${report.operationId}: recorded ${call(report.recorded)}, the code now calls ${call(report.call)}`
    default:
      return `${report.executionId}  ${report.verdict}: ${report.message}`
  }
}

const loadFunctions = async (file: string): Promise<Array<DurableFunction>> => {
  let module: Record<string, unknown>
  try {
    module = await loadingUserFile(file, () => import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>
  } catch (error) {
    throw new CliError(`cannot load ${file}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`, EXIT.failed)
  }
  const functions = exportedFunctions(module)
  if (functions.length === 0) throw new CliError(`${file} exports no durable functions (export what durable() returns)`, EXIT.usage)
  return functions
}

const CHECK_OPTIONS = {
  history: { type: "string", multiple: true },
  from: { type: "string" },
  function: { type: "string", multiple: true },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" }
} as const

/** Runs the command; returns the exit code. */
export const replayCheckCommand = async (argv: ReadonlyArray<string>, io: CheckIo): Promise<number> => {
  try {
    let parsed
    try {
      parsed = parseArgs({ args: [...argv], options: CHECK_OPTIONS, allowPositionals: true, strict: true })
    } catch (error) {
      throw usage(readableParseError(error))
    }
    const repeated = repeatedOption(argv, CHECK_OPTIONS)
    if (repeated !== undefined) throw usage(repeatedMessage(repeated))
    const { positionals, values } = parsed
    if (values.help === true) {
      io.out(REPLAY_CHECK_USAGE)
      return EXIT.ok
    }
    if (positionals.length !== 1) throw usage(positionals.length === 0 ? "give the file that exports the functions" : `unexpected argument ${JSON.stringify(positionals[1])}`)
    const files = values.history ?? []
    if ((files.length > 0) === (values.from !== undefined)) throw usage("give either --history files or --from a server")
    const functions = await loadFunctions(positionals[0]!)
    let histories: Array<RecordedHistory>
    if (values.from !== undefined) {
      const apiKey = values["api-key"] ?? (io.env.REPRISE_API_KEY === "" ? undefined : io.env.REPRISE_API_KEY)
      histories = await fetchRunning(makeClient({ url: values.from, urlFrom: "--from", apiKey }), values.function)
    } else histories = readHistories(files)
    // --function narrows --history files as it narrows --from (whose listing already asked for those functions);
    // a history whose function could not be read is kept, so that its failure is seen.
    const only = values.function === undefined ? undefined : new Set(values.function)
    const all = await replayCheck(functions, histories)
    // A name neither the file exports nor any history read is of (a misspelt one) checked nothing, and a deploy gate
    // passed on "0 of 0". A function the file no longer exports is still named by its executions' histories.
    const unknown = values.function?.find((name) => !functions.some((fn) => fn.name === name) && !all.some((report) => report.functionName === name))
    if (unknown !== undefined) {
      throw usage(`--function ${JSON.stringify(unknown)}: the file exports no such function and no history read is of it (it exports ${functions.map((fn) => fn.name).join(", ")})`)
    }
    const reports = all.filter((report) => only === undefined || report.functionName === undefined || only.has(report.functionName))
    if (values.json === true) io.out(JSON.stringify(reports, null, 2))
    else {
      for (const report of reports) io.out(oneLine(reportLine(report)))
      const clean = reports.filter((r) => r.verdict === "replays cleanly").length
      io.err(`${clean} of ${reports.length} histor${reports.length === 1 ? "y replays" : "ies replay"} cleanly`)
    }
    return reports.every((r) => r.verdict === "replays cleanly") ? EXIT.ok : EXIT.failed
  } catch (error) {
    return reportError(error, io)
  }
}
