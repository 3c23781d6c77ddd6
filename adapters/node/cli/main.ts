/**
 * The `reprise` command: serve functions locally (`dev`), and start, inspect and steer executions over the HTTP
 * API. Errors are one line on stderr and an exit code from EXIT; `--json` prints the API's JSON on stdout.
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { type ExecutionJson, INSTANT_PATTERN, isRealInstant, type SummaryJson } from "reprise/http"
import { ownPackage } from "./own-package.ts"
import type { Emission } from "reprise"
import type { LogEvent } from "reprise/store"
import { CliError, type Client, EXIT, makeClient, reportError, serverOption } from "./client.ts"
import { dev } from "./dev.ts"
import { emissionLine, executionText, functionsText, historyText, listText, nextPageCommand, outcomeText, stopText } from "./format.ts"
import { followStream } from "./follow-stream.ts"
import { executionPath, follow, withOperations } from "./follow-execution.ts"
import { listSchedules, scheduleAction } from "./schedules.ts"
import { inputOf, parseJsonArg } from "./input-arg.ts"
import { repeatedMessage, repeatedOption } from "./repeated-option.ts"
import { startOutcome } from "./start-answer.ts"
import { safeWrites } from "./terminal-text.ts"
import { emptyArgument, readableParseError } from "./argument-errors.ts"
import { unregisteredNote, withRegisteredFunctions } from "./registered-functions.ts"

export const USAGE = `reprise: durable functions from the command line

  reprise init [folder] [--target node|workers|lambda]   write a new project (one durable function, its test)
  reprise dev <functions-file> [--port N] [--db FILE]   serve the file's durable functions and schedules on SQLite, restart on change
  reprise functions                                     the functions the server can start
  reprise start <function> [--input JSON|@FILE] [--name ID] [--priority N] [--wait [--timeout S]]
  reprise get <execution-id> [--follow [--timeout S]]   --follow: live until it ends (at most S seconds, default 600)
  reprise history <execution-id>
  reprise emissions <execution-id> [--follow [--timeout S]]   what ctx.emit sent; --follow: live until it ends
  reprise list [--function NAME] [--status STATUS[,STATUS...]] [--version LABEL] [--started-after ISO] [--started-before ISO]
              [--ended-after ISO] [--ended-before ISO] [--input-contains TEXT] [--limit N] [--cursor C]
  reprise callback <callback-id> succeed [json|-] [--raw] | fail [message] [--error-type T] [--error-data TEXT] | heartbeat
                                                        --raw: a payload that is not JSON
  reprise stop <execution-id> [--reason TEXT] [--error-type T] [--error-data TEXT] [--keep-children]
  reprise delete <execution-id>                         erase an ended execution now (history, input, result), as retention would
  reprise fire <execution-id> <operation-id>            a development server only: the pending wait succeeds now
  reprise schedules                                     list the schedules: cron, next tick, last execution, skips
  reprise schedule pause|resume|trigger <name>
  reprise pause|resume <execution-id>                    hold an execution (nothing new starts) and let it go on
  reprise fork <execution-id> --from OP [--input JSON|@FILE]   a new execution keeping the operations before OP
  reprise rewind <execution-id> --from OP               run a failed, timed-out or stopped execution again from OP
  reprise replay-check <functions-file> (--history FILE... | --from URL) [--function NAME]   replay recorded histories on this code

  --url URL        the server (default $REPRISE_URL, else http://127.0.0.1:8787)
  --api-key KEY    its API key (default $REPRISE_API_KEY)
  --json           print the API's JSON
  --version, -v    this reprise's version (also: reprise version)
Exit codes: 0 ok, 1 refused or failed, 2 usage, 3 unreachable, 4 unauthorized, 5 not found, 6 still running.`

export interface Io {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
}

const OPTIONS = {
  url: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  input: { type: "string" },
  name: { type: "string" },
  priority: { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  function: { type: "string" },
  status: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  reason: { type: "string" },
  "error-type": { type: "string" },
  "error-data": { type: "string" },
  port: { type: "string" },
  db: { type: "string" },
  follow: { type: "boolean" },
  "started-after": { type: "string" },
  "started-before": { type: "string" },
  "ended-after": { type: "string" },
  "ended-before": { type: "string" },
  "input-contains": { type: "string" },
  raw: { type: "boolean" },
  "keep-children": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" }
} as const

/** `list --version LABEL` filters by the code's version label (`?version=`): there --version takes a value. */
const LIST_OPTIONS = { ...OPTIONS, version: { type: "string" } } as const

/** The command line's first positional word, its options read leniently. */
const firstWord = (argv: ReadonlyArray<string>): string | undefined => {
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false, tokens: true })
  const first = tokens.find((token) => token.kind === "positional")
  return first?.kind === "positional" ? first.value : undefined
}

const COMMON = ["url", "api-key", "json", "help"] as const

/** The options each command takes (beside COMMON): any other is a usage error naming these. */
const COMMAND_OPTIONS: Readonly<Record<string, ReadonlyArray<keyof typeof OPTIONS>>> = {
  dev: ["port", "db"],
  functions: [],
  start: ["input", "name", "priority", "wait", "timeout"],
  get: ["follow", "timeout"],
  history: [],
  emissions: ["follow", "timeout"],
  list: ["function", "status", "version", "started-after", "started-before", "ended-after", "ended-before", "input-contains", "limit", "cursor"],
  callback: ["error-type", "error-data", "raw"],
  stop: ["reason", "error-type", "error-data", "keep-children"],
  fire: []
}

const STATUSES = ["QUEUED", "RUNNING", "PAUSED", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CONTINUED_AS_NEW"]

/** An error's type and data as the options give them (the data is sent as it is: AWS's errorData is a string). */
const errorExtras = (values: Values) => ({
  ...(values["error-type"] === undefined ? {} : { errorType: values["error-type"] }),
  ...(values["error-data"] === undefined ? {} : { errorData: values["error-data"] })
})

/** Refuses options the command does not take, saying which it does. */
const checkOptions = (command: string, values: Values) => {
  const allowed = new Set<string>([...COMMON, ...(COMMAND_OPTIONS[command] ?? [])])
  const extra = Object.keys(values).find((key) => !allowed.has(key))
  if (extra === undefined) return
  const takes = (COMMAND_OPTIONS[command] ?? []).map((option) => `--${option}`)
  throw usage(`reprise ${command} does not take --${extra} (${takes.length === 0 ? "it takes" : `it takes ${takes.join(", ")} and`} --url, --api-key, --json)`)
}

type Values = Omit<ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>["values"], "version"> & {
  /** true: this reprise's version; a string: list's version label (LIST_OPTIONS). */
  readonly version?: boolean | string
}

const usage = (message: string) => new CliError(`${message} (reprise --help)`, EXIT.usage)

const notEmpty = (arg: string | undefined, what: string): void => {
  const empty = emptyArgument(arg, what)
  if (empty !== undefined) throw usage(empty)
}

const positional = (args: ReadonlyArray<string>, count: number, what: string): Array<string> => {
  if (args.length < count) throw usage(`missing ${what}`)
  if (args.length > count) throw usage(`unexpected argument ${JSON.stringify(args[count])}`)
  for (const arg of args) notEmpty(arg, what)
  return [...args]
}

const seconds = (text: string | undefined, what: string): number | undefined => {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(value)) throw usage(`${what} must be a number of seconds`)
  return value
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const readHistory = async (client: Client, id: string, after?: string): Promise<{ events: Array<LogEvent>; cursor?: string }> => {
  const events: Array<LogEvent> = []
  let cursor = after
  for (;;) {
    const page = await client.request<{ events: Array<LogEvent>; nextCursor?: string }>(
      "GET",
      `${executionPath(id)}/history?limit=1000${cursor === undefined ? "" : `&cursor=${cursor}`}`
    )
    events.push(...page.events)
    const last = page.events.at(-1)
    if (last !== undefined) cursor = String(last.seq)
    if (page.nextCursor === undefined) return { events, ...(cursor === undefined ? {} : { cursor }) }
  }
}

/**
 * `--priority -5` as `--priority=-5`: Node's parseArgs takes a value that starts with "-" for an option ("argument is
 * ambiguous"), but a negative number after an option that takes a value is that value.
 */
const negativeValuesJoined = (argv: ReadonlyArray<string>): Array<string> => {
  const joined: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const option = /^--([\w-]+)$/.exec(argv[i]!)?.[1]
    const next = argv[i + 1]
    if (option !== undefined && (OPTIONS as Record<string, { type: string }>)[option]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      joined.push(`--${option}=${next}`)
      i++
    } else joined.push(argv[i]!)
  }
  return joined
}

/** An integer option checked here, as the server would check it, so a bad one is a usage error (exit 2). */
const integerOption = (text: string | undefined, what: string, min: number, max: number): number | undefined => {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!/^-?\d{1,6}$/.test(text) || value < min || value > max) throw usage(`${what} must be an integer from ${min} to ${max}, not ${JSON.stringify(text)}`)
  return value
}

/** A date and time option (ISO 8601), checked here. */
const dateOption = (text: string | undefined, what: string): string | undefined => {
  if (text !== undefined && !(INSTANT_PATTERN.test(text) && isRealInstant(text))) {
    throw usage(`${what} must be an ISO 8601 time such as 2026-05-01T12:00:00Z, not ${JSON.stringify(text)}`)
  }
  return text
}

/** An emission as the API streams it, from its recorded event. */
const emissionOfEvent = (event: Extract<LogEvent, { _tag: "StepSucceeded" }>): Emission => ({
  seq: event.seq,
  at: event.at,
  operationId: event.id,
  topic: event.name ?? "",
  value: event.result === undefined ? null : JSON.parse(event.result)
})

/** How many runs of a continue-as-new chain `start --wait` follows before it says so and stops following. */
const MAX_FOLLOWED_RUNS = 1000

/** How long `get --follow` follows without --timeout. */
const DEFAULT_FOLLOW_S = 600

const print = (io: Io, json: boolean, value: unknown, text: () => string) => io.out(json ? JSON.stringify(value, null, 2) : text())

const commands: Record<string, (args: Array<string>, values: Values, io: Io, client: () => Client) => Promise<number>> = {
  start: async (args, values, io, client) => {
    const [name] = positional(args, 1, "the function name")
    const body = {
      ...(values.input === undefined ? {} : { input: inputOf(values.input) }),
      ...(values.name === undefined ? {} : { executionName: values.name }),
      ...(values.priority === undefined ? {} : { priority: integerOption(values.priority, "--priority", -1000, 1000) })
    }
    const timeoutS = seconds(values.timeout, "--timeout")
    if (timeoutS !== undefined && values.wait !== true) throw usage("--timeout goes with --wait")
    const answer = await client().exchange<ExecutionJson>("POST", `/v1/functions/${encodeURIComponent(name!)}/executions`, body)
      .catch((error: unknown) => withRegisteredFunctions(error, client()))
    const started = answer.body
    const outcome = startOutcome(answer, name!, values.name)
    if (values.wait !== true) {
      print(io, values.json === true, started, () => `${outcome} ${started.executionId} (${started.status})`)
      return EXIT.ok
    }
    io.err(`${outcome} ${started.executionId}; following it (Ctrl-C stops following, not the execution)`)
    const deadline = timeoutS === undefined ? undefined : Date.now() + timeoutS * 1000
    let ended = await follow(client(), io.err, started.executionId, timeoutS)
    // A run that continued as new is not the end: the chain's last run says how the execution ended.
    for (let runs = 1; ended.status === "CONTINUED_AS_NEW" && ended.continuedAs !== undefined; runs++) {
      if (runs >= MAX_FOLLOWED_RUNS) throw new CliError(`execution ${started.executionId} goes on past ${runs} runs (follow it with: reprise get ${ended.continuedAs} --follow)`, EXIT.stillRunning)
      io.err(`${ended.executionId} continued as ${ended.continuedAs}; following it`)
      const left = deadline === undefined ? undefined : Math.max(0, (deadline - Date.now()) / 1000)
      ended = await follow(client(), io.err, ended.continuedAs, left)
    }
    // The steps were shown live: what is left to print is how it ended, with the result (or the error).
    print(io, values.json === true, ended, () => outcomeText(ended))
    return ended.status === "SUCCEEDED" ? EXIT.ok : EXIT.failed
  },
  functions: async (args, values, io, client) => {
    positional(args, 0, "")
    const listed = await client().request<{ functions: Array<{ name: string; description?: string }> }>("GET", "/v1/functions")
    print(io, values.json === true, listed, () => functionsText(listed.functions))
    return EXIT.ok
  },
  get: async (args, values, io, client) => {
    const [id] = positional(args, 1, "the execution id")
    const timeoutS = seconds(values.timeout, "--timeout")
    if (timeoutS !== undefined && values.follow !== true) throw usage("--timeout goes with --follow")
    if (values.follow === true) {
      await follow(client(), io.err, id!, timeoutS ?? DEFAULT_FOLLOW_S)
      const ended = await withOperations(client(), id!)
      print(io, values.json === true, ended, () => executionText(ended))
      return ended.status === "SUCCEEDED" ? EXIT.ok : EXIT.failed
    }
    const execution = await withOperations(client(), id!)
    print(io, values.json === true, execution, () => executionText(execution))
    return EXIT.ok
  },
  history: async (args, values, io, client) => {
    const [id] = positional(args, 1, "the execution id")
    const { events } = await readHistory(client(), id!)
    print(io, values.json === true, { executionId: id, events }, () => historyText(events))
    return EXIT.ok
  },
  emissions: async (args, values, io, client) => {
    const [id] = positional(args, 1, "the execution id")
    const timeoutS = seconds(values.timeout, "--timeout")
    if (timeoutS !== undefined && values.follow !== true) throw usage("--timeout goes with --follow")
    const show = (emission: Emission) => io.out(values.json === true ? JSON.stringify(emission) : emissionLine(emission))
    if (values.follow !== true) {
      const { events } = await readHistory(client(), id!)
      const emitted = events.filter((event) => event._tag === "StepSucceeded" && event.subType === "Emit")
      for (const event of emitted) show(emissionOfEvent(event as Extract<typeof event, { _tag: "StepSucceeded" }>))
      // As `list` says "No executions.": silence read as a command that did nothing (JSON lines stay none).
      if (emitted.length === 0 && values.json !== true) io.out(`Execution ${id} emitted nothing (ctx.emit).`)
      return EXIT.ok
    }
    const deadline = Date.now() + (timeoutS ?? DEFAULT_FOLLOW_S) * 1000
    const how = await followStream(client(), `${executionPath(id!)}/emissions`, deadline, (frame) => show(JSON.parse(frame.data) as Emission))
    if (how === "timeout") throw new CliError(`execution ${id} is still running after ${timeoutS ?? DEFAULT_FOLLOW_S} s`, EXIT.stillRunning)
    // As get --follow and start --wait: exit 1 unless it succeeded, saying how it ended on stderr (stdout holds the emissions).
    const ended = await client().request<ExecutionJson>("GET", executionPath(id!))
    if (ended.status === "SUCCEEDED") return EXIT.ok
    const why = ended.error === undefined ? "" : `: ${ended.error.errorType}: ${ended.error.errorMessage}`
    throw new CliError(`execution ${id} ended ${ended.status}${why}`, EXIT.failed)
  },
  list: async (args, values, io, client) => {
    positional(args, 0, "")
    const params = new URLSearchParams()
    if (values.function !== undefined) params.set("function", values.function)
    if (values.status !== undefined) {
      const statuses = values.status.toUpperCase().split(",")
      const unknown = statuses.find((status) => !STATUSES.includes(status))
      if (unknown !== undefined) throw usage(`--status is one or more of ${STATUSES.join(", ")}, comma-separated; not ${JSON.stringify(unknown)}`)
      params.set("status", statuses.join(","))
    }
    // --version is the code's version label here (a string: see LIST_OPTIONS), not this reprise's version.
    if (typeof values.version === "string") params.set("version", values.version)
    if (values["started-after"] !== undefined) params.set("startedAfter", dateOption(values["started-after"], "--started-after")!)
    if (values["started-before"] !== undefined) params.set("startedBefore", dateOption(values["started-before"], "--started-before")!)
    const [after, before] = [params.get("startedAfter"), params.get("startedBefore")]
    if (after !== null && before !== null && Date.parse(after) >= Date.parse(before)) throw usage("--started-after must be earlier than --started-before (nothing starts in between)")
    if (values["ended-after"] !== undefined) params.set("endedAfter", dateOption(values["ended-after"], "--ended-after")!)
    if (values["ended-before"] !== undefined) params.set("endedBefore", dateOption(values["ended-before"], "--ended-before")!)
    const [endedAfter, endedBefore] = [params.get("endedAfter"), params.get("endedBefore")]
    if (endedAfter !== null && endedBefore !== null && Date.parse(endedAfter) >= Date.parse(endedBefore)) throw usage("--ended-after must be earlier than --ended-before (nothing ends in between)")
    if (values["input-contains"] !== undefined) params.set("input", values["input-contains"])
    if (values.limit !== undefined) params.set("limit", String(integerOption(values.limit, "--limit", 1, 1000)))
    if (values.cursor !== undefined) params.set("cursor", values.cursor)
    const query = params.toString()
    const page = await client().request<{ executions: Array<SummaryJson>; nextCursor?: string }>("GET", `/v1/executions${query === "" ? "" : `?${query}`}`)
    const next = page.nextCursor === undefined ? undefined : nextPageCommand(values, page.nextCursor)
    // "No executions." for a misspelt --function reads as "none failed": say when no function has that name.
    const note = page.executions.length === 0 && next === undefined && values.function !== undefined && values.json !== true ? await unregisteredNote(client(), values.function) : undefined
    print(io, values.json === true, page, () => listText(page.executions, next) + (note === undefined ? "" : ` ${note}`))
    return EXIT.ok
  },
  callback: async (args, values, io, client) => {
    if (args.length < 2) throw usage("give a callback id and succeed, fail or heartbeat")
    const [callbackId, action, payload, ...rest] = args
    if (rest.length > 0) throw usage(`unexpected argument ${JSON.stringify(rest[0])}`)
    notEmpty(callbackId, "the callback id")
    const text = payload === "-" ? readFileSync(0, "utf8").replace(/\n$/, "") : payload
    if (values.raw === true && action !== "succeed") throw usage("--raw goes with succeed")
    if ((values["error-type"] !== undefined || values["error-data"] !== undefined) && action !== "fail") throw usage("--error-type and --error-data go with fail")
    let body: Record<string, unknown>
    if (action === "succeed") {
      // The result is JSON (as `get` hints: succeed '<json>'): text that is not is refused unless --raw says so.
      if (text !== undefined && values.raw !== true) parseJsonArg(text, "the payload (--raw sends text as it is)")
      body = text === undefined ? {} : { result: text }
    } else if (action === "fail") {
      body = { errorMessage: text ?? "Failed from the reprise CLI", ...errorExtras(values) }
    } else if (action === "heartbeat") {
      if (text !== undefined) throw usage("heartbeat takes no payload")
      body = {}
    } else throw usage(`the callback action is succeed, fail or heartbeat, not ${JSON.stringify(action)}`)
    await client().request("POST", `/v1/callbacks/${encodeURIComponent(callbackId!)}/${action}`, body)
    const done = action === "succeed" ? "callback completed" : action === "fail" ? "callback completed with a failure" : "callback heartbeat sent"
    print(io, values.json === true, { callbackId, action, ok: true }, () => done)
    return EXIT.ok
  },
  stop: async (args, values, io, client) => {
    const [id] = positional(args, 1, "the execution id")
    const extras = errorExtras(values)
    // A blank reason (an unset shell variable) would be recorded as "Stopped: ": leave --reason out to give none.
    if (values.reason?.trim() === "") throw usage("--reason is blank: give the reason, or leave --reason out to stop without one")
    const body = {
      ...(values.reason === undefined && Object.keys(extras).length === 0 ? {} : { error: { errorMessage: values.reason ?? "Stopped from the reprise CLI", ...extras } }),
      // The API's `children: false`: the executions it invoked go on.
      ...(values["keep-children"] === true ? { children: false } : {})
    }
    const stopped = await client().request<ExecutionJson>("POST", `${executionPath(id!)}/stop`, body)
    print(io, values.json === true, stopped, () => stopText(stopped))
    return EXIT.ok
  },
  fire: async (args, values, io, client) => {
    const [id, operationId] = positional(args, 2, "the execution id and the wait's operation id")
    const fired = await client().request<ExecutionJson>("POST", `${executionPath(id!)}/timers/${encodeURIComponent(operationId!)}/fire`, {})
    print(io, values.json === true, fired, () => `fired wait ${operationId} of ${fired.executionId} (${fired.status})`)
    return EXIT.ok
  },
  schedules: async (args, values, io, client) => {
    positional(args, 0, "")
    return listSchedules(client(), io, values.json === true)
  },
  schedule: async (args, values, io, client) => {
    const [action, name] = positional(args, 2, "the action (pause, resume, trigger) and the schedule name")
    return scheduleAction(client(), io, values.json === true, action!, name!)
  },
  dev: async (args, values, io) => {
    const [file] = positional(args, 1, "the functions file")
    const port = values.port ?? (io.env.PORT?.trim() || undefined) ?? "8787" // an empty PORT counts as unset
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) throw usage(`${values.port === undefined ? "PORT" : "--port"} must be a port number (0 to 65535), not ${JSON.stringify(port)}`)
    return dev({ file: file!, port: Number(port), ...(values.db === undefined ? {} : { db: values.db }), ...(values["api-key"] === undefined ? {} : { apiKey: values["api-key"] }) }, io)
  }
}

const HELP_WORDS = new Set(["help", "--help", "-h"])
const OWN_COMMANDS = new Set(["replay-check", "pause", "resume", "fork", "rewind", "delete"])

/**
 * The command line's first word (its options read leniently, as far as the shared ones go), when it names a
 * command with options of its own, and the arguments without it.
 */
const ownCommand = (argv: ReadonlyArray<string>): readonly [string | undefined, ReadonlyArray<string>] => {
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false, tokens: true })
  const first = tokens.find((token) => token.kind === "positional")
  if (first === undefined || first.kind !== "positional" || !OWN_COMMANDS.has(first.value)) return [undefined, argv]
  return [first.value, [...argv.slice(0, first.index), ...argv.slice(first.index + 1)]]
}

/** Runs one command line; returns the exit code (it never throws). */
export const run = async (argv: ReadonlyArray<string>, given: Io): Promise<number> => {
  // Whatever a command prints may carry the server's text: no control character of it reaches the terminal raw.
  const io = safeWrites(given)
  // Commands with their own options live in their own files; their name may come after options (--url U fork …).
  const [own, rest] = ownCommand(argv)
  if (own === "replay-check") return (await import("./replay-check.ts")).replayCheckCommand(rest, io)
  if (own === "pause" || own === "resume") return (await import("./pause-resume.ts")).pauseResumeCommand(own, rest, io)
  if (own === "fork" || own === "rewind") return (await import("./fork-rewind.ts")).forkRewindCommand(own, rest, io)
  if (own === "delete") return (await import("./delete-execution.ts")).deleteCommand(rest, io)
  try {
    let parsed
    try {
      parsed = parseArgs({ args: negativeValuesJoined(argv), options: firstWord(argv) === "list" ? LIST_OPTIONS : OPTIONS, allowPositionals: true, strict: true })
    } catch (error) {
      throw usage(readableParseError(error))
    }
    const options = firstWord(argv) === "list" ? LIST_OPTIONS : OPTIONS
    const repeated = repeatedOption(negativeValuesJoined(argv), options)
    if (repeated !== undefined) throw usage(repeatedMessage(repeated))
    const { positionals, values } = parsed
    const [name, ...args] = positionals
    if ((values.version === true && name === undefined) || (name === "version" && args.length === 0)) {
      io.out(`reprise ${ownPackage().version} (Node ${process.versions.node})`)
      return EXIT.ok
    }
    // "--help" or "-h" as the command word came after a "--" (`reprise --json -- --help`): still a request for help.
    if (values.help === true || name === undefined || HELP_WORDS.has(name)) {
      io.out(USAGE)
      return name === undefined && values.help !== true ? EXIT.usage : EXIT.ok
    }
    const command = commands[name]
    if (command === undefined) throw usage(`unknown command ${JSON.stringify(name)}`)
    checkOptions(name, values)
    const apiKey = values["api-key"] ?? (io.env.REPRISE_API_KEY === "" ? undefined : io.env.REPRISE_API_KEY)
    let client: Client | undefined
    return await command(args, values, io, () => (client ??= makeClient({ ...serverOption(values.url, io.env), apiKey })))
  } catch (error) {
    return reportError(error, io)
  }
}
