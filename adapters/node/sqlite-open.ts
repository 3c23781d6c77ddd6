/**
 * Opening the database file of the Node store: its folder and a private mode on creation, the one-server lock when
 * the store serves the file (sqlite-owner.ts), and the pragmas the store relies on (WAL, synchronous, busy timeout,
 * foreign keys, checkpoint size, locking). Whatever fails leaves nothing open, the lock included.
 */
import { closeSync, mkdirSync, openSync } from "node:fs"
import { dirname } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { type FileOwnership, ownFile } from "./sqlite-owner.ts"
import type { SqliteStoreOptions } from "./sqlite-store.ts"

/**
 * Creates a new database file readable by its owner only (0600, whatever the umask), before SQLite opens it: the
 * file holds the callback-signing secret (src/host/host-secrets.ts) and every execution's payloads, and SQLite gives
 * its -wal and -shm files the same mode. An existing file is left as it is.
 */
const createPrivately = (path: string): void => {
  try {
    closeSync(openSync(path, "wx", 0o600))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
  }
}

/**
 * A server writes its file. SQLite opens a file it may not write read-only, and the server went on to listen, pass
 * its health checks and answer every start 503, even after the file's mode was fixed (the connection stays
 * read-only). So a serving store begins a write that changes nothing and rolls it back, and refuses the file if that
 * fails.
 */
const refuseUnwritable = (db: DatabaseSync, path: string): void => {
  const version = Number(db.prepare("PRAGMA user_version").get()?.["user_version"] ?? 0)
  try {
    db.exec("BEGIN IMMEDIATE")
    db.exec(`PRAGMA user_version = ${version}`) // the write SQLite refuses on a read-only file
  } catch (error) {
    // SQLITE_READONLY and its extended codes; anything else (a lock another process holds) is thrown as it is.
    if ((Number((error as { errcode?: unknown })?.errcode) & 0xff) !== 8) throw error
    throw new Error(
      `${path} cannot be written (${(error as Error)?.message ?? String(error)}): a server writes its database; check the owner ` +
        "and mode of the file, of its -wal and -shm files and of its folder"
    )
  } finally {
    if (db.isTransaction) db.exec("ROLLBACK")
  }
}

/**
 * What SQLite threw, naming the file when it does not: "file is not a database" or "database disk image is malformed"
 * said nothing of which file ($REPRISE_DB, or ./reprise.db relative to where the server was started).
 */
export const namingFile = (path: string, error: unknown): unknown =>
  error instanceof Error && !error.message.includes(path) ? new Error(`${path}: ${error.message}`, { cause: error }) : error

/** The open, configured database and, when it serves the file, the lock it holds; throws what failed. */
export const openDatabase = (options: SqliteStoreOptions): { readonly db: DatabaseSync; readonly ownership: FileOwnership | undefined } => {
  const { path } = options
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true })
    createPrivately(path)
  }
  const ownership = options.serves === true ? ownFile(path) : undefined
  let db: DatabaseSync | undefined
  try {
    db = new DatabaseSync(path, { enableForeignKeyConstraints: true })
    if (options.locking === "exclusive") db.exec("PRAGMA locking_mode = EXCLUSIVE") // before WAL: no shared memory
    const mode = db.prepare("PRAGMA journal_mode = WAL").get()?.["journal_mode"]
    if (mode !== "wal" && path !== ":memory:") throw new Error(`the file cannot be put in WAL mode (journal_mode is ${String(mode)})`)
    db.exec(`PRAGMA synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`)
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`)
    db.exec("PRAGMA foreign_keys = ON")
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(0, Math.floor(options.walAutocheckpointPages ?? 10_000))}`)
    if (options.serves === true && path !== ":memory:") refuseUnwritable(db, path)
    return { db, ownership }
  } catch (error) {
    db?.close()
    ownership?.release() // a file SQLite cannot open: the next server in this process must not find it held
    throw namingFile(path, error)
  }
}
