/**
 * A SQLite file as reprise/deno's store, for self-hosted Deno (`serve({ dbPath })`): reprise/node's store and ports,
 * through Deno's own `node:sqlite`, with the host's timer for alarms. A step costs what it does on Node, about a
 * tenth of a step on a Deno KV file (docs/deno.md); Deno Deploy has no files, and keeps KV.
 *
 * Loaded only when asked for (a dynamic import, see `nodeModule`), so that KV deployments never load `node:sqlite`.
 * The store's own modules are imported, not the "reprise/node" entry: that entry's server brings @hono/node-server,
 * which replaces the global Response, and Deno.serve then refuses every answer ("must be a Response constructed via
 * the Response constructor in this realm").
 */
import { Effect, type Layer } from "effect"
import type { HostPorts, ScheduleStore } from "reprise/host"
import type { ExecutionStoreShape } from "reprise/store"
// Plain TypeScript with no Node import, so a written-out import is fine here.
import { sqliteSettings, type SqliteSettings } from "../node/sqlite-settings.ts"
import { deno } from "./deno-api.ts"

/**
 * What the server shows of the SQLite store. Its whole type (reprise/node's SqliteStore) is written on Node's
 * typings (`node:sqlite`), which `deno check` would then need: none of it is imported statically here.
 */
export interface SqliteFileStore extends ExecutionStoreShape {
  /** The database file. */
  readonly path: string
  /** Closes the database (the host's ports do, once it has started). */
  readonly close: () => void
}

export interface SqliteStorage {
  readonly store: SqliteFileStore
  readonly ports: Layer.Layer<HostPorts | ScheduleStore>
}

/**
 * The two modules of reprise/node this loads, as far as it uses them (test/adapters/deno/sqlite-storage.test.ts
 * holds this to the real ones).
 */
// Properties, not methods: a method's parameters are compared both ways, and a new required option in
// reprise/node would then still pass the check. `S` is the store the one opens and the other takes (reprise/node's
// SqliteStore, of which this file knows only the SqliteFileStore part).
export interface SqliteModules<S extends SqliteFileStore = SqliteFileStore> {
  readonly store: {
    readonly openSqliteStore: (options: { readonly path: string; readonly serves?: boolean } & SqliteSettings) => Effect.Effect<S, unknown>
  }
  readonly ports: { readonly sqlitePorts: (store: S) => Layer.Layer<HostPorts | ScheduleStore> }
}

/**
 * reprise/node's module `name`, beside this adapter's folder (source .ts in the repository, .js in the package).
 * The specifier is computed, not written out: `deno check` follows written-out imports, dynamic ones included, into
 * `node:sqlite`, whose typings (@types/node) an app on KV alone does not have. The price: Deno asks for read
 * permission on these files (a narrowed --allow-read must include the reprise package), and `deno compile` must be
 * told to include them.
 */
const nodeModule = (name: string): Promise<unknown> =>
  import(new URL(`../node/${name}${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url).href)

/**
 * One server per local KV file too (found by the Deno probe: two servers on one KV file both resumed what they found,
 * and their racing writes got "database is locked" 503s): `<file>-lock` as for a SQLite file (reprise/node's
 * sqlite-owner.ts, through Deno's node:sqlite). Not for Deno's default database or a remote one (Deno Deploy's
 * isolates share theirs by design).
 */
export const ownLocalKvFile = async (path: string | undefined): Promise<{ readonly release: () => void } | undefined> => {
  if (path === undefined || path === ":memory:" || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return undefined
  // Its folder is made, as reprise/node makes a SQLite file's (a fresh volume's /var/lib/reprise): without it the
  // start failed with "unable to open database file: <file>-lock".
  const end = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"))
  if (end > 0) await deno().mkdir(path.slice(0, end), { recursive: true })
  const owner = await nodeModule("sqlite-owner") as { readonly ownFile: (path: string) => { readonly release: () => void } }
  return owner.ownFile(path)
}

/**
 * Opens the store on `dbPath` with `synchronous` and `locking` from `options`, else from the environment (as
 * reprise/node's serve does); a bad setting is refused with a TypeError naming its source.
 */
export const openSqliteStorage = async (
  dbPath: string,
  options: Parameters<typeof sqliteSettings>[0] = {},
  env: (name: string) => string | undefined = () => undefined
): Promise<SqliteStorage> => {
  const settings = sqliteSettings(options, env) // checked before anything is loaded or opened
  const [store, ports] = await Promise.all([nodeModule("sqlite-store"), nodeModule("sqlite-ports")]) as [SqliteModules["store"], SqliteModules["ports"]]
  const opened = await Effect.runPromise(store.openSqliteStore({ path: dbPath, ...settings, serves: true }))
  return { store: opened, ports: ports.sqlitePorts(opened) }
}
