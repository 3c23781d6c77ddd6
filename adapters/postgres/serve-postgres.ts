/**
 * `servePostgres`: reprise/node's server (node:http, signals, the host) on a PostgreSQL store instead of a SQLite
 * file. Opens the store (migrating it), serves, and ends the pool when the server closes.
 */
import { Effect } from "effect"
import { type HostServer, serveHost, type ServeHostOptions } from "reprise/node"
import { postgresPorts } from "./postgres-ports.ts"
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from "./postgres-store.ts"

export interface ServePostgresOptions extends ServeHostOptions, PostgresStoreOptions {}

export interface PostgresServer extends HostServer {
  readonly store: PostgresStore
}

export const servePostgres = async (options: ServePostgresOptions): Promise<PostgresServer> => {
  const store = await Effect.runPromise(openPostgresStore(options))
  try {
    return { ...(await serveHost(options, postgresPorts(store))), store }
  } catch (error) {
    await store.close()
    throw error
  }
}
