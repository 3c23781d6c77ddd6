/**
 * The crash server (crash-server.ts), killed with SIGKILL by itself the moment it first writes an alarm row: the
 * point, on a store that writes a start and its watchdog separately, between the commit of ExecutionStarted and the
 * alarm. `node kill-at-alarm-server.ts <db> <side-effect file>`.
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite"

const prepare = DatabaseSync.prototype.prepare
DatabaseSync.prototype.prepare = function(this: DatabaseSync, sql: string) {
  const statement = prepare.call(this, sql)
  if (!/^INSERT INTO alarms\b/.test(sql)) return statement
  const run = statement.run.bind(statement)
  statement.run = ((...args: Array<SQLInputValue>) => {
    process.kill(process.pid, "SIGKILL")
    return run(...args)
  }) as typeof statement.run
  return statement
}

await import("./crash-server.ts")
