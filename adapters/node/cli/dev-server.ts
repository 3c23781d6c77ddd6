/**
 * The server `reprise dev` runs in a child process: imports the functions file, collects every durable function and
 * every schedule it exports (directly, or in an exported array such as `functions` or `schedules`), and serves them
 * with reprise/node, as `serve({ functions, schedules })` would.
 *
 * A module hook records every local file the import resolves (the file and its imports, however deep; not
 * node_modules), and the list goes to the parent over IPC, even when the import fails, so that the parent
 * knows what to watch.
 *
 * Arguments: <functions-file> <port> [db-file]. The database defaults to $REPRISE_DB, else ./reprise.db.
 * Exit codes: WAITING_EXIT the file failed to load, exports nothing or exports a schedule that cannot be served (said
 * here; the parent waits for a change),
 * FATAL_EXIT the server could not start (the parent stops); any other end (user code threw outside a step and
 * nothing caught it, a kill) the parent reports, then waits for a change.
 */
import { registerHooks } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { DurableFunction, Schedule } from "reprise"
import { loadingUserFile } from "../cli-loading.ts"
import { startErrorLine } from "../start-error.ts"
import { exportedFunctions } from "./exported-functions.ts"
import { exportedSchedules } from "./exported-schedules.ts"

/** The exit code that tells `reprise dev` to stop: the server cannot run, whatever the file says (dev.ts). */
const FATAL_EXIT = 78
/** The exit code that tells `reprise dev` the file did not load and this process said why (dev.ts). */
const WAITING_EXIT = 79

const loaded = new Set<string>()
registerHooks({
  resolve: (specifier, context, nextResolve) => {
    const resolved = nextResolve(specifier, context)
    if (resolved.url.startsWith("file:") && !resolved.url.includes("/node_modules/")) loaded.add(fileURLToPath(resolved.url))
    return resolved
  }
})

// When `reprise dev` goes away, so does its server (SIGTERM: serve() closes the database first).
process.on("disconnect", () => process.kill(process.pid, "SIGTERM"))

const report = () => {
  process.send?.({ watch: [...loaded] })
  process.channel?.unref()
}

const [file, port, db] = process.argv.slice(2)
if (file === undefined || port === undefined) {
  console.error("usage: dev-server.ts <functions-file> <port> [db-file]")
  process.exit(2)
}
loaded.add(file)
let functions: Array<DurableFunction> = []
let schedules: Array<Schedule> = []
try {
  const module = await loadingUserFile(file, () => import(pathToFileURL(file).href)) as Record<string, unknown>
  functions = exportedFunctions(module)
  schedules = exportedSchedules(module)
} catch (error) {
  report()
  console.error(`reprise dev: ${file} failed to load; waiting for a change`)
  // The CLI's own refusal is one line; anything else from the user's code keeps its stack.
  console.error(error instanceof Error && error.name === "ServesOnImport" ? error.message : error)
  process.exit(WAITING_EXIT)
}
const { serve } = await import("../serve.ts")
if (functions.length === 0) {
  report()
  console.error(`reprise dev: ${file} exports no durable functions (export what durable() returns); waiting for a change`)
  process.exit(WAITING_EXIT)
}
let server: Awaited<ReturnType<typeof serve>>
try {
  server = await serve({ functions, schedules, port: Number(port), devTools: true, ...(db === undefined ? {} : { dbPath: db }) })
} catch (error) {
  // A schedule of a function the file does not export, two with one name: the next save mends it.
  if (error instanceof Error && error.name === "ScheduleConfigError") {
    report()
    console.error(`reprise dev: ${file}: ${error.message}; waiting for a change`)
    process.exit(WAITING_EXIT)
  }
  // Not something a change to the file mends: `reprise dev` stops (FATAL_EXIT) rather than watch with no server.
  console.error(`reprise dev: ${startErrorLine(error, port)}`)
  process.exit(FATAL_EXIT)
}
report()
const scheduled = schedules.length === 0 ? "" : ` and schedule${schedules.length === 1 ? "" : "s"} ${schedules.map((entry) => entry.name).join(", ")}`
console.error(`reprise dev: serving ${functions.map((fn) => fn.name).join(", ")}${scheduled} at ${server.url} (database ${server.store.path}; auth ${server.authenticated ? "on" : "off"})`)
console.error(`reprise dev: console at ${server.url}/console`)
