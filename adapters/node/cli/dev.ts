/**
 * `reprise dev <functions-file>`: serves the durable functions and schedules a file exports, on SQLite, through
 * reprise/node's `serve`, and restarts the server whenever that file or anything it imports changes.
 *
 * The server runs in a child process (dev-server.ts), which reports every local file its import loaded. This
 * process watches the folders of those files (one non-recursive watch per folder, so an editor's "atomic save",
 * which renames a new file over the old one, is seen too) and on a change stops the child with SIGTERM (serve()
 * closes the database) and starts a fresh one: a fresh module graph, so no stale code survives a reload. A file
 * that fails to load is reported, and retried on the next change.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, type FSWatcher, watch } from "node:fs"
import { basename, dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { CliError, EXIT } from "./client.ts"
import type { Io } from "./main.ts"

export interface DevOptions {
  readonly file: string
  readonly port: number
  readonly db?: string
  readonly apiKey?: string
}

// Beside this file, with its extension: dev-server.ts in the sources, dev-server.js in the built package.
const SERVER = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./dev-server.ts" : "./dev-server.js", import.meta.url))
/** dev-server.ts's FATAL_EXIT and WAITING_EXIT (not imported: importing that module would run it). */
const FATAL_EXIT = 78
const WAITING_EXIT = 79
/**
 * Past the server's own shutdown (SHUTDOWN_GRACE_MS, 5 s, for requests and running step bodies, then the store's
 * close): killed at 5 s, a body that used all of its grace was cut off during the close and ran again.
 */
const KILL_AFTER_MS = 8000
const DEBOUNCE_MS = 150

export const dev = (options: DevOptions, io: Io): Promise<number> => {
  const file = resolve(options.file)
  if (!existsSync(file)) throw new CliError(`no such file: ${file}`, EXIT.usage)
  const args = [SERVER, file, String(options.port), ...(options.db === undefined ? [] : [resolve(options.db)])]
  const env = { ...process.env, ...(options.apiKey === undefined ? {} : { REPRISE_API_KEY: options.apiKey }) }

  let child: ChildProcess | undefined
  let stopping = false
  let debounce: NodeJS.Timeout | undefined
  const watchers = new Map<string, { watcher: FSWatcher; names: Set<string> }>()

  const watchFiles = (files: ReadonlyArray<string>) => {
    const wanted = new Map<string, Set<string>>()
    for (const path of files) wanted.set(dirname(path), (wanted.get(dirname(path)) ?? new Set()).add(basename(path)))
    for (const [folder, entry] of watchers) if (!wanted.has(folder)) (entry.watcher.close(), watchers.delete(folder))
    for (const [folder, names] of wanted) {
      const existing = watchers.get(folder)
      if (existing !== undefined) existing.names = names
      else {
        const entry = { names, watcher: watch(folder, (_event, name) => name !== null && entry.names.has(name) && changed(`${folder}/${name}`)) }
        watchers.set(folder, entry)
      }
    }
  }

  let fatal: (() => void) | undefined
  let announced = false
  const start = () => {
    const current = spawn(process.execPath, args, { stdio: ["inherit", "inherit", "inherit", "ipc"], env })
    child = current
    current.on("message", (message: { watch?: Array<string> }) => {
      if (!Array.isArray(message.watch)) return
      watchFiles(message.watch)
      if (!announced) io.err(`reprise dev: watching ${file} and its imports (Ctrl-C stops)`)
      announced = true
    })
    current.on("exit", (code, signal) => {
      if (code === FATAL_EXIT) return fatal?.()
      // Stopped here (a restart, Ctrl-C), or a file that did not load (the server said so): nothing to add.
      if (stopping || child !== current || code === WAITING_EXIT) return
      // The server died under it (user code threw outside a step and nothing caught it, a kill): it was silent.
      io.err(`reprise dev: the server stopped (${signal === null ? `exit code ${code}` : signal}); it starts again when a watched file changes`)
    })
  }

  const stopChild = (): Promise<void> => {
    const current = child
    child = undefined
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      const kill = setTimeout(() => current.kill("SIGKILL"), KILL_AFTER_MS)
      current.once("exit", () => (clearTimeout(kill), resolve()))
      current.kill("SIGTERM")
    })
  }

  let restarting: Promise<void> | undefined
  const changed = (path: string) => {
    if (stopping) return
    clearTimeout(debounce)
    debounce = setTimeout(() => {
      if (restarting !== undefined) return void restarting.then(() => changed(path))
      io.err(`reprise dev: ${path} changed; restarting`)
      restarting = stopChild().then(() => {
        restarting = undefined
        if (!stopping) start()
      })
    }, DEBOUNCE_MS)
  }

  watchFiles([file])
  start()
  return new Promise((resolve) => {
    const end = (code: number) => {
      stopping = true
      clearTimeout(debounce)
      for (const { watcher } of watchers.values()) watcher.close()
      process.off("SIGINT", onSignal)
      process.off("SIGTERM", onSignal)
      void stopChild().then(() => resolve(code))
    }
    const onSignal = () => end(EXIT.ok)
    // The server cannot start (its one-line reason is printed): stop, rather than watch with no server.
    fatal = () => end(EXIT.failed)
    process.on("SIGINT", onSignal)
    process.on("SIGTERM", onSignal)
  })
}
