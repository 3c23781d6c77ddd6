/**
 * `servePostgres`: reprise/node's server (node:http, signals, the host) on a PostgreSQL store instead of a SQLite
 * file. Opens the store (migrating it), serves, and ends the pool when the server closes.
 */
import { Effect } from "effect"
import { resolvePort, resolveRequestTimeouts, resolveShutdownGrace } from "reprise/host"
import { type HostServer, serveHost, type ServeHostOptions } from "reprise/node"
import type { LeaseOptions } from "./postgres-leases.ts"
import { postgresPorts } from "./postgres-ports.ts"
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from "./postgres-store.ts"

export interface ServePostgresOptions extends ServeHostOptions, Omit<PostgresStoreOptions, "leases"> {
  /**
   * Several hosts on one database: each execution held by one host at a time (postgres-leases.ts). On by default;
   * `false` for a database that only ever has one host (one round trip less when an execution is loaded or let go).
   */
  readonly leases?: LeaseOptions | false
}

export interface PostgresServer extends HostServer {
  readonly store: PostgresStore
}

export const servePostgres = async (options: ServePostgresOptions): Promise<PostgresServer> => {
  const { leases, ...rest } = options
  // A bad port, grace or timeout is refused before the database is reached (and migrated), as serve() refuses it
  // before it opens its file.
  const env = (name: string) => process.env[name]
  resolvePort(options.port, env)
  resolveShutdownGrace(options.shutdownGraceMs, env)
  resolveRequestTimeouts(options, env)
  const store = await Effect.runPromise(openPostgresStore(leases === false ? rest : { ...rest, leases: leases ?? {} }))
  try {
    return { ...(await serveHost(options, postgresPorts(store))), store }
  } catch (error) {
    await store.close()
    throw error
  }
}
