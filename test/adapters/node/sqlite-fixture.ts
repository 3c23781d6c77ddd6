/** Temporary SQLite files for the Node adapter's tests, removed when the test file is done. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll } from "@effect/vitest"
import { Effect } from "effect"
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from "../../../adapters/node/sqlite-store.ts"
import type { LogEvent } from "../../../src/log/events.ts"
import { startedLog } from "../../../src/store/conformance-events.ts"

const dirs: Array<string> = []
const opened: Array<SqliteStore> = []

afterAll(() => {
  for (const store of opened) store.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A path for a new database file in a fresh temporary directory. */
export const tempDbPath = (name = "reprise.db"): string => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-sqlite-"))
  dirs.push(dir)
  return join(dir, name)
}

/** Opens a store (closed after the test file); fails the test on an error. */
export const openStore = (options: Partial<SqliteStoreOptions> = {}): SqliteStore => {
  const store = Effect.runSync(openSqliteStore({ path: options.path ?? tempDbPath(), ...options }))
  opened.push(store)
  return store
}

/**
 * Runs a store write now, whatever the group commit's mode (it may wait for the end of the turn once several
 * executions have appended in one): forked, then the group flushed. Its outcome arrives a moment later.
 */
export const writeNow = (store: SqliteStore, write: Effect.Effect<unknown, unknown>): void => {
  Effect.runFork(write)
  store.flush()
}

/** Creates an execution with `length` events; returns them. */
export const createExecution = (store: SqliteStore, id: string, length = 1, at = 1_000): ReadonlyArray<LogEvent> => {
  const events = startedLog(id, { functionName: "fixture", at, length })
  Effect.runFork(store.append(id, events, 0))
  store.flush() // group commit: written now, answered a moment later
  if (Effect.runSync(store.load(id))?.seq !== length) throw new Error(`the fixture could not create ${id}`)
  return events
}

/** Polls until `probe` holds, or fails after `timeoutMs`. */
export const until = async (probe: () => boolean, timeoutMs = 2000, what = "the condition"): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
