/**
 * What the lease and flow code use of pg's Pool and Client, as structural types: the package's public types never
 * name pg's (docs/postgres.md), so a user type-checks without pg's types even with skipLibCheck off, and a pg Pool
 * or Client fits them as they are.
 */
export interface PgResult<R> {
  readonly rows: Array<R>
  readonly rowCount: number | null
}

/** A pg Pool, or anything that runs a parameterised query the same way. */
export interface PgQueries {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: Array<unknown>): Promise<PgResult<R>>
}

/** A pg Client of its own, for LISTEN. */
export interface PgListener extends PgQueries {
  on(event: "notification", listener: (message: { readonly channel: string; readonly payload?: string | undefined }) => void): unknown
  on(event: "error", listener: (error: Error) => void): unknown
  on(event: "end", listener: () => void): unknown
  end(): Promise<void>
}
