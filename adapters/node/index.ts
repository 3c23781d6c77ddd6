/** reprise/node: the embedded default: a SQLite file, one alarm timer, and the HTTP API on node:http. */
export { serve, serveHost } from "./serve.ts"
export type { HostServer, ServeHostOptions, Server, ServeOptions } from "./serve.ts"
export { layerSqliteStore, openSqliteStore } from "./sqlite-store.ts"
export type { SqliteStore, SqliteStoreOptions } from "./sqlite-store.ts"
export { sqlitePorts, sqliteTimer } from "./sqlite-ports.ts"
export { startErrorLine } from "./start-error.ts"
