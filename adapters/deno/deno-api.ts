/**
 * The few Deno runtime APIs this adapter uses, written out here so that the project's type check (tsc with Node
 * typings) needs no Deno typings, and the same files type-check under `deno check`. They follow Deno 2's
 * `lib.deno.unstable.d.ts` (Deno KV) and `lib.deno.ns.d.ts` (`Deno.serve`, signals, env).
 */

export type KvKeyPart = Uint8Array | string | number | bigint | boolean
export type KvKey = ReadonlyArray<KvKeyPart>

export interface KvEntry<T> {
  readonly key: KvKey
  readonly value: T
  readonly versionstamp: string
}

export interface KvEntryMaybe<T> {
  readonly key: KvKey
  readonly value: T | null
  readonly versionstamp: string | null
}

export type KvListSelector =
  | { readonly prefix: KvKey }
  | { readonly prefix: KvKey; readonly start: KvKey }
  | { readonly prefix: KvKey; readonly end: KvKey }
  | { readonly start: KvKey; readonly end: KvKey }

export interface KvListOptions {
  readonly limit?: number
  readonly reverse?: boolean
  readonly batchSize?: number
  readonly consistency?: "strong" | "eventual"
}

export interface KvCommitResult {
  readonly ok: true
  readonly versionstamp: string
}

export interface KvCommitError {
  readonly ok: false
}

export interface AtomicCheck {
  readonly key: KvKey
  readonly versionstamp: string | null
}

export interface EnqueueOptions {
  readonly delay?: number
  readonly keysIfUndelivered?: ReadonlyArray<KvKey>
  readonly backoffSchedule?: ReadonlyArray<number>
}

export interface AtomicOperation {
  check(...checks: ReadonlyArray<AtomicCheck>): this
  set(key: KvKey, value: unknown, options?: { readonly expireIn?: number }): this
  delete(key: KvKey): this
  enqueue(value: unknown, options?: EnqueueOptions): this
  commit(): Promise<KvCommitResult | KvCommitError>
}

export interface Kv {
  get<T = unknown>(key: KvKey, options?: { readonly consistency?: "strong" | "eventual" }): Promise<KvEntryMaybe<T>>
  getMany<T extends ReadonlyArray<unknown>>(keys: ReadonlyArray<KvKey>): Promise<{ [K in keyof T]: KvEntryMaybe<T[K]> }>
  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): AsyncIterable<KvEntry<T>>
  set(key: KvKey, value: unknown): Promise<KvCommitResult>
  delete(key: KvKey): Promise<void>
  atomic(): AtomicOperation
  enqueue(value: unknown, options?: EnqueueOptions): Promise<KvCommitResult>
  listenQueue(handler: (value: unknown) => Promise<void> | void): Promise<void>
  close(): void
}

export interface HttpServer {
  readonly finished: Promise<void>
  readonly addr: { readonly hostname: string; readonly port: number; readonly transport: string }
  shutdown(): Promise<void>
}

export interface ServeOptions {
  readonly port?: number
  readonly hostname?: string
  readonly signal?: AbortSignal
  readonly onListen?: (addr: { readonly hostname: string; readonly port: number }) => void
  readonly onError?: (error: unknown) => Response | Promise<Response>
}

/** What Deno.serve tells a handler of the connection: the peer's address (the client's, on Deno Deploy too). */
export interface ServeHandlerInfo {
  readonly remoteAddr: { readonly hostname?: string; readonly transport: string }
}

export interface DenoNamespace {
  openKv(path?: string): Promise<Kv>
  serve(options: ServeOptions, handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>): HttpServer
  addSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void
  removeSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void
  readonly env: { get(key: string): string | undefined }
  readonly stderr?: { isTerminal(): boolean }
  mkdir(path: string, options: { readonly recursive: boolean }): Promise<void>
  exit(code?: number): never
}

/** The `Deno` global; throws a clear error where there is none (this adapter runs only under Deno). */
export const deno = (): DenoNamespace => {
  const found = (globalThis as { Deno?: DenoNamespace }).Deno
  if (found === undefined) throw new Error("reprise/deno runs under Deno (the Deno global is missing)")
  return found
}

/** An environment variable, or undefined when unset or when the process may not read the environment. */
export const envVar = (key: string): string | undefined => {
  try {
    return deno().env.get(key)
  } catch {
    return undefined
  }
}
