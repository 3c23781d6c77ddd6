/**
 * The CLI (`reprise dev`, `reprise replay-check`) imports a user's file for the durable functions it exports. A
 * file that also calls `serve()` at its top level would start its own server then (on its own port and database,
 * not the ones asked for), so `serve()` refuses while such a load is under way, saying what to do instead.
 * The mark is a global, not a module's variable: the CLI and the user's `reprise/node` may be two module instances.
 */
const LOADING = Symbol.for("reprise.cli.loading-file")

type Marked = { [LOADING]?: string }

/** Imports `file` (its URL) with the mark set until its evaluation ends (top-level awaits included). */
export const loadingUserFile = async <A>(file: string, load: () => Promise<A>): Promise<A> => {
  const global = globalThis as Marked
  global[LOADING] = file
  try {
    return await load()
  } finally {
    delete global[LOADING]
  }
}

/** A server started while the CLI loads a user's file. Told by its name (the user's module may be another instance). */
export class ServesOnImport extends Error {
  override readonly name = "ServesOnImport"
}

/** Throws ServesOnImport when a server is started while the CLI loads a user's file (see above). */
export const refuseWhileCliLoads = (): void => {
  const file = (globalThis as Marked)[LOADING]
  if (file === undefined) return
  throw new ServesOnImport(
    `${file} starts a server as it is imported (serve(), servePostgres()), and the reprise CLI imports it only for ` +
      "the durable functions it exports. Give the CLI a file that exports the functions without serving them (the " +
      "server in a file of its own that imports them)."
  )
}
