/**
 * The few Workers runtime types this adapter uses, written out here so that the project's type check needs no
 * global Workers typings (they clash with @types/node). They follow @cloudflare/workers-types.
 */

/** The synchronous KV API of SQLite-backed Durable Object storage (`ctx.storage.kv`). */
export interface SyncKvStorage {
  get<T = unknown>(key: string): T | undefined
  put<T>(key: string, value: T): void
  delete(key: string): boolean
  list<T = unknown>(options?: { start?: string; prefix?: string; limit?: number }): Iterable<[string, T]>
}

export interface SqlStorageCursor<T> extends Iterable<T> {
  toArray(): Array<T>
}

export interface SqlStorage {
  exec<T = Record<string, string | number | null>>(query: string, ...bindings: Array<unknown>): SqlStorageCursor<T>
}

export interface DurableObjectStorage {
  readonly kv: SyncKvStorage
  readonly sql: SqlStorage
  transactionSync<T>(closure: () => T): T
  getAlarm(): Promise<number | null>
  setAlarm(scheduledTime: number | Date): Promise<void>
  deleteAlarm(): Promise<void>
  deleteAll(): Promise<void>
}

export interface DurableObjectId {
  readonly name?: string
  toString(): string
}

export interface DurableObjectState {
  readonly id: DurableObjectId
  readonly storage: DurableObjectStorage
  waitUntil(promise: Promise<unknown>): void
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>
}

/** A stub's RPC methods: every method of T, answering with a promise. */
export type Stub<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never
}

export interface DurableObjectNamespace<T> {
  getByName(name: string): Stub<T>
}
