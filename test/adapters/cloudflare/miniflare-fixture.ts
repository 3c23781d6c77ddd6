/**
 * Runs a bundled Worker in Miniflare (workerd) from vitest: bundle with the esbuild that wrangler brings, start
 * Miniflare (the one wrangler depends on) with the Reprise bindings, and talk to it over `dispatchFetch`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll } from "vitest"
import { build } from "esbuild"
import { convertV4MiniflareOptions, Miniflare } from "miniflare"

export const API_KEY = "test-api-key"
export const CALLBACK_SECRET = "test-callback-secret-0123456789"
export const COMPATIBILITY_DATE = "2026-11-01"

export const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `reprise-cf-${label}-`))
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

export interface BundleOptions {
  /**
   * "browser": also apply packages' `browser` field maps, as wrangler does (the OpenTelemetry SDK swaps its Node
   * platform files for browser ones there; esbuild applies the maps on the browser platform only).
   */
  readonly platform?: "neutral" | "browser"
  /** Imports left to workerd besides `cloudflare:*` (Node's built-ins, for a Worker on nodejs_compat). */
  readonly external?: ReadonlyArray<string>
  /** Global names replaced by these expressions (esbuild's `define`): one entry bundled for several deploys. */
  readonly define?: Record<string, string>
}

/**
 * Bundles a Worker entry into one ES module at `outfile`, as wrangler would, from Reprise's sources; returns its
 * path. The one bundler of the Workers tests and benches.
 */
export const bundleTo = async (entry: string, outfile: string, options: BundleOptions = {}): Promise<string> => {
  const platform = options.platform ?? "neutral"
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform,
    target: "es2022",
    conditions: ["reprise-source", "workerd", "worker", "browser"], // reprise-source: bundle the sources (see vitest.config.ts)
    mainFields: platform === "browser" ? ["browser", "module", "main"] : ["module", "main"],
    external: ["cloudflare:*", ...(options.external ?? [])],
    logLevel: "warning",
    ...(options.define === undefined ? {} : { define: options.define })
  })
  return outfile
}

/** Bundles a test Worker into `<outdir>/worker.mjs`. */
export const bundle = (entry: string, outdir: string, platform: "neutral" | "browser" = "neutral"): Promise<string> =>
  bundleTo(entry, join(outdir, "worker.mjs"), { platform })

export interface StartOptions {
  readonly scriptPath: string
  /** Persist Durable Object and KV storage here (a new Miniflare on the same dir sees it again). */
  readonly persistDir?: string
  readonly extraObjects?: Record<string, string>
  /** Receives what the Worker and its objects log (console.log and friends), one line at a time. */
  readonly onLog?: (line: { readonly level: string; readonly message: string }) => void
  /** Bindings (vars, secrets) beside the API key and the callback secret. */
  readonly bindings?: Record<string, string>
}

export const startMiniflare = (options: StartOptions): Miniflare => {
  const objects: Record<string, string> = { EXECUTIONS: "ExecutionObject", EXECUTION_INDEX: "IndexObject", ...options.extraObjects }
  return new Miniflare(convertV4MiniflareOptions({
    modules: true,
    scriptPath: options.scriptPath,
    modulesRoot: dirname(options.scriptPath),
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: Object.fromEntries(Object.entries(objects).map(([binding, className]) => [binding, { className, useSQLite: true }])),
    kvNamespaces: ["SIDE_EFFECTS"],
    bindings: { REPRISE_API_KEY: API_KEY, REPRISE_CALLBACK_SECRET: CALLBACK_SECRET, ...options.bindings },
    ...(options.persistDir === undefined ? {} : { resourcePersistencePath: options.persistDir }),
    ...(options.onLog === undefined ? {} : { handleStructuredLogs: options.onLog })
  }))
}

export interface Send {
  readonly json?: unknown
  readonly headers?: Record<string, string>
  readonly anonymous?: boolean
}

/** An HTTP client for the Worker's API (with the API key unless `anonymous`). */
export const client = (mf: Miniflare) => {
  const request = async (method: string, path: string, send: Send = {}) => {
    const headers: Record<string, string> = { ...send.headers }
    if (send.anonymous !== true) headers.authorization = `Bearer ${API_KEY}`
    if (send.json !== undefined) headers["content-type"] = "application/json"
    const res = await mf.dispatchFetch(`http://reprise.test${path}`, {
      method,
      headers,
      ...(send.json === undefined ? {} : { body: JSON.stringify(send.json) })
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text === "" ? undefined : JSON.parse(text) as any }
  }
  const start = (fn: string, input: unknown, extra: { executionName?: string; wait?: number } = {}) =>
    request("POST", `/v1/functions/${fn}/executions${extra.wait === undefined ? "" : `?wait=${extra.wait}`}`, {
      json: { input, ...(extra.executionName === undefined ? {} : { executionName: extra.executionName }) }
    })
  const describe = (id: string) => request("GET", `/v1/executions/${encodeURIComponent(id)}?operations=true`)
  const history = (id: string) => request("GET", `/v1/executions/${encodeURIComponent(id)}/history?limit=1000`)
  return { request, start, describe, history }
}

export type Client = ReturnType<typeof client>

/** The test Worker (fixtures/test-worker.ts, its functions and crash hooks). */
const TEST_WORKER = fileURLToPath(new URL("./fixtures/test-worker.ts", import.meta.url))

/**
 * The test Worker bundled and served in Miniflare for one test file: started before its tests, disposed (and its
 * folder removed) after them. Read `mf` and `api` inside the tests, once it has started.
 */
export const serveTestWorker = (label: string) => {
  let dir: string | undefined
  let mf: Miniflare | undefined
  let api: Client | undefined
  beforeAll(async () => {
    dir = tempDir(label)
    mf = startMiniflare({ scriptPath: await bundle(TEST_WORKER, dir) })
    api = client(mf)
    await mf.ready
  }, 30_000)
  afterAll(async () => {
    await mf?.dispose()
    if (dir !== undefined) removeDir(dir)
  })
  const started = <A>(value: A | undefined): A => {
    if (value === undefined) throw new Error(`the test Worker of ${label} has not started`)
    return value
  }
  return {
    get mf(): Miniflare {
      return started(mf)
    },
    get api(): Client {
      return started(api)
    }
  }
}

/** Polls until `probe` gives a value (real time: workerd alarms fire on the wall clock). */
export const until = async <A>(probe: () => Promise<A | undefined>, timeoutMs = 20_000, what = "the condition"): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Waits for the execution to reach a status other than RUNNING (or the given one) and returns its view. */
export const untilStatus = (api: Client, id: string, status?: string, timeoutMs = 20_000) =>
  until(async () => {
    const res = await api.describe(id)
    const done = status === undefined ? res.body?.status !== "RUNNING" : res.body?.status === status
    return done ? res.body : undefined
  }, timeoutMs, `execution ${id} to be ${status ?? "done"}`)

/** The callback id of the execution's first CALLBACK operation, once it has one. */
export const untilCallback = (api: Client, id: string) =>
  until(async () => {
    const res = await api.describe(id)
    return res.body?.operations?.find((op: { type: string }) => op.type === "CALLBACK")?.callbackId as string | undefined
  }, 20_000, `a callback of ${id}`)

interface KvList {
  list(options: { prefix: string }): Promise<{ keys: ReadonlyArray<unknown> }>
}

/** How many side effects were recorded under `prefix` in the SIDE_EFFECTS KV namespace. */
export const countEffects = async (mf: Miniflare, prefix: string): Promise<number> =>
  (await ((await mf.getKVNamespace("SIDE_EFFECTS")) as unknown as KvList).list({ prefix })).keys.length
