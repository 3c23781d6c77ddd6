/**
 * reprise/postgres: the ExecutionStore on PostgreSQL (driver: `pg`, an optional peer dependency), the host's ports
 * over it, and reprise/node's server on it. See docs/postgres.md.
 */
export { layerPostgresStore, openPostgresStore } from "./postgres-store.ts"
export type { PostgresStore, PostgresStoreOptions } from "./postgres-store.ts"
export { LATEST_VERSION, MIGRATIONS, PostgresSchemaTooNew } from "./postgres-schema.ts"
export type { Migration } from "./postgres-schema.ts"
export { postgresPorts, postgresTimer } from "./postgres-ports.ts"
export { DEFAULT_LEASE_MS, makeLeases } from "./postgres-leases.ts"
export type { LeaseOptions, Leases } from "./postgres-leases.ts"
export { DEFAULT_FLOW_POLL_MS, makeFlowLedger } from "./postgres-flow.ts"
export type { FlowLedgerOptions, PostgresFlowLedger } from "./postgres-flow.ts"
export { servePostgres } from "./serve-postgres.ts"
export type { PostgresServer, ServePostgresOptions } from "./serve-postgres.ts"
