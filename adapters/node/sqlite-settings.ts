/**
 * A server's SQLite settings (`synchronous`, `locking`): from its options, else from the environment
 * (REPRISE_SYNCHRONOUS, REPRISE_SQLITE_LOCKING), in any case. Anything else is refused at start rather than ignored
 * (SQLite would quietly keep its default). Shared by reprise/node's serve() and reprise/deno's serve({ dbPath }).
 */

export interface SqliteSettings {
  readonly synchronous?: "NORMAL" | "FULL"
  readonly locking?: "normal" | "exclusive"
}

const setting = <A extends string>(
  name: string,
  option: unknown,
  envName: string,
  env: (name: string) => string | undefined,
  allowed: ReadonlyArray<A>
): A | undefined => {
  const [source, value] = option !== undefined ? [`serve({ ${name} })`, option] : [envName, env(envName)]
  if (value === undefined || value === "") return undefined
  const found = typeof value === "string" ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined
  if (found !== undefined) return found
  throw new TypeError(`${source} must be ${allowed.join(" or ")}, not ${JSON.stringify(value)}`)
}

/** The settings to open the store with (unset ones left out: the store's defaults); throws a TypeError naming a bad one's source. */
export const sqliteSettings = (
  options: { readonly synchronous?: unknown; readonly locking?: unknown },
  env: (name: string) => string | undefined
): SqliteSettings => {
  const synchronous = setting("synchronous", options.synchronous, "REPRISE_SYNCHRONOUS", env, ["NORMAL", "FULL"])
  const locking = setting("locking", options.locking, "REPRISE_SQLITE_LOCKING", env, ["normal", "exclusive"])
  return { ...(synchronous === undefined ? {} : { synchronous }), ...(locking === undefined ? {} : { locking }) }
}
