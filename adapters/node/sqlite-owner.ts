/**
 * One server per database file. Two processes serving one file keep its logs whole (appends are conditional), but
 * each resumes the executions it finds running, and so runs step bodies the other is running (a second server
 * started by mistake on another port did, at once). A server holds `<file>-lock`, a small SQLite file of its own, in
 * exclusive locking mode: the OS holds that lock until the connection closes or the process dies (a kill -9 leaves
 * no stale lock behind, as a pid file would), and a second server is refused before it resumes anything. The main
 * file stays in normal locking, so the sqlite3 shell and other readers still open it. The lock sits beside the file's
 * real path: SQLite follows a symbolic link to the file, so a server given the link would otherwise take a lock of
 * its own (`<link>-lock`) and serve the file beside the one given its target.
 */
import { realpathSync, statSync } from "node:fs"
import { basename, dirname, join } from "node:path"
import { DatabaseSync } from "node:sqlite"

export interface FileOwnership {
  readonly release: () => void
}

const NOBODY: FileOwnership = { release: () => {} }

/** The file's path with every symbolic link resolved; a file not made yet (a KV file) is named in its real folder. */
const realPath = (path: string): string => {
  try {
    return realpathSync(path)
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path))
    } catch {
      return path
    }
  }
}

/**
 * A file with a second name (a hard link) is refused: SQLite keeps the write-ahead log beside the name it opens, and
 * the lock is beside a name too, so a server started on the other name took a lock and a log of its own and wrote
 * the same file.
 */
const refuseSecondNames = (path: string): void => {
  let links: number
  try {
    const stat = statSync(path)
    if (!stat.isFile()) return // a folder has several links of its own (SQLite refuses to open it anyway)
    links = stat.nlink
  } catch {
    return // not made yet (a KV file): no other name either
  }
  if (links > 1) {
    throw new Error(
      `${path} has ${links} names (hard links): a server on another name would keep a write-ahead log of its own beside ` +
        "that name and write the same file; remove the other names and serve the file by one"
    )
  }
}

/** Takes the file's ownership, or throws an Error saying another process serves it. */
export const ownFile = (path: string): FileOwnership => {
  if (path === ":memory:") return NOBODY
  refuseSecondNames(path)
  const lockPath = `${realPath(path)}-lock`
  let lock: DatabaseSync | undefined
  try {
    // Made here, in the try: a folder the server may not write failed with SQLite's bare "unable to open database file".
    lock = new DatabaseSync(lockPath)
    lock.exec("PRAGMA busy_timeout = 0")
    lock.exec("PRAGMA locking_mode = EXCLUSIVE")
    // A write takes the exclusive lock, which exclusive locking mode keeps past the commit.
    lock.exec("BEGIN EXCLUSIVE")
    lock.exec("CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL, since TEXT NOT NULL)")
    lock.exec("DELETE FROM owner")
    lock.prepare("INSERT INTO owner (pid, since) VALUES (?, ?)").run(process.pid, new Date().toISOString())
    lock.exec("COMMIT")
  } catch (error) {
    lock?.close()
    const message = (error as Error)?.message ?? String(error)
    const busy = /locked|busy/i.test(message)
    // SQLITE_NOTADB: a file put there by something else (a damaged restore); it holds no data, only who served.
    const notOurs = Number((error as { errcode?: unknown })?.errcode) === 26
    throw new Error(
      busy
        ? `${path} is served by another Reprise server (it holds ${lockPath}): stop that server first, or serve another file`
        : notOurs
        ? `the lock file ${lockPath} is not one a Reprise server made (${message}): it holds no data, only which process ` +
          "served the file; remove it and start again"
        : `the lock file ${lockPath} cannot be written (${message}): the server makes it ` +
          "beside the database, so that folder must be writable by the server"
    )
  }
  const held = lock
  return { release: () => held.close() }
}
