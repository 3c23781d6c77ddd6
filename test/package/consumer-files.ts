/**
 * The files of the scratch consumer project that the pack-and-install test writes outside the repo: what a user
 * would write against the installed package, on Node, under strict NodeNext type checking, and under Deno.
 */

/** Imports every entry given on the command line and prints each one's export names. */
export const IMPORTS_MJS = `import { registerHooks } from "node:module"

// reprise/cloudflare imports the Workers runtime's own module; outside workerd a stand-in class takes its place.
// reprise/otel imports @opentelemetry/api, an optional peer this consumer did not install: stand-ins for the names
// it imports (only loading is checked here; test/adapters/otel runs it with the real SDK).
const STAND_INS = {
  "cloudflare:workers": "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env } }",
  "@opentelemetry/api": "export const context = {}, metrics = {}, ROOT_CONTEXT = {}, SpanStatusCode = {}, trace = {}, TraceFlags = {}"
}
registerHooks({
  resolve(specifier, context, next) {
    if (!Object.hasOwn(STAND_INS, specifier)) return next(specifier, context)
    return { url: "data:text/javascript," + encodeURIComponent(STAND_INS[specifier]), shortCircuit: true }
  }
})

const names = {}
for (const entry of JSON.parse(process.argv[2])) names[entry] = Object.keys(await import(entry)).sort()
console.log(JSON.stringify(names))
`

/** Uses every entry's types; each @ts-expect-error fails the check if the types it probes were \`any\`. */
export const CONSUMER_TS = `import { Effect } from "effect"
import { createRetryStrategy, durable, type DurableContext, type DurableFunction } from "reprise"
import { awsHandler, wireId } from "reprise/aws"
import { createWorker, type RepriseEnv } from "reprise/cloudflare"
import { type DenoKvStoreOptions, serve as serveOnDeno } from "reprise/deno"
import * as DurableEffect from "reprise/effect"
import { Engine, type StartRequest } from "reprise/engine"
import { createApp, problemType, type ProblemKind } from "reprise/http"
import { withDurableExecution, type DurableLambdaHandler } from "reprise/lambda"
import { serve, type ServeOptions } from "reprise/node"
import { makeMemoryStore, storeConformance } from "reprise/store"
import { createTestRunner } from "reprise/testing"

export const order = durable("order", async (input: { id: string }, ctx: DurableContext) => {
  const charge = await ctx.step("charge", async () => ({ id: input.id, cents: 1250 }), {
    retryStrategy: createRetryStrategy({ maxAttempts: 3 })
  })
  await ctx.wait("cooling-off", { days: 1 })
  const cents: number = charge.cents
  // @ts-expect-error: a step's result keeps its type
  const wrong: string = charge.cents
  return { id: charge.id, cents, wrong }
})

// @ts-expect-error: a durable function has a name
durable(42, async () => 1)

const runner = createTestRunner({ functions: [order] })
const execution = await runner.run("order", { id: "o-1" })
export const status: string = execution.status
await runner.dispose()

// A handler written with AWS's SDK is what withDurableExecution returns: (event, lambdaContext) => Promise.
export const fromAws: DurableFunction = awsHandler("from-aws", async () => ({ Status: "SUCCEEDED", Result: "1" }))
// @ts-expect-error: awsHandler takes a handler function
awsHandler("not-a-handler", 42)
export const hashed: string = wireId("1")
export const functions: ReadonlyArray<DurableFunction> = [order, fromAws]
export const nodeOptions: ServeOptions = { functions, port: 0, dbPath: ":memory:" }
// @ts-expect-error: the port is a number
export const badNodeOptions: ServeOptions = { functions, port: "8787" }
export const startNode = () => serve(nodeOptions)
export const startDeno = () => serveOnDeno({ functions, port: 0 })
export type KvOptions = DenoKvStoreOptions

export const worker = createWorker({ functions })
export const { ExecutionObject, IndexObject } = worker
export const fetchOf: (request: Request, env: RepriseEnv) => Promise<Response> = worker.fetch
// @ts-expect-error: createWorker needs the functions
createWorker({})

export const handler: DurableLambdaHandler = withDurableExecution(order)
// @ts-expect-error: withDurableExecution takes a durable function or a handler
withDurableExecution("order")

export const engineTag = Engine
export const request: Partial<StartRequest> = {}
export const kind: ProblemKind = "not-found"
export const typeUrl: string = problemType(kind)
export const app = createApp
export const store = makeMemoryStore
export const conformance = storeConformance
export const effectApi = DurableEffect
export const program = Effect.succeed(1)
`

/** What a Workers project's own typings (@cloudflare/workers-types, \`wrangler types\`) declare, reduced to what reprise/cloudflare uses. */
export const WORKERS_TYPES_D_TS = `declare module "cloudflare:workers" {
  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: unknown
    protected readonly env: Env
    constructor(ctx: unknown, env: Env)
  }
}
`

/**
 * Strict NodeNext settings as a user would set them, with lib checking on so the package's .d.ts files are checked
 * too. "DOM" is in lib because effect's own .d.ts files name Web Crypto types (CryptoKey, JsonWebKey) that only it
 * declares; a project with skipLibCheck (tsc --init's default) needs no DOM.
 */
export const tsconfig = (typeRoots: string) => `${JSON.stringify({
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2023", "DOM"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: false,
    noEmit: true,
    types: ["node"],
    typeRoots: [typeRoots]
  },
  files: ["consumer.ts", "workers-types.d.ts"]
}, null, 2)}\n`

/** Runs under the real deno from node_modules: the test runner, then reprise/deno's server on Deno KV and on SQLite. */
export const DENO_TS = `import { durable } from "reprise"
import { serve } from "reprise/deno"
import { createTestRunner } from "reprise/testing"

const greet = durable("greet", async (input: { name: string }, ctx) => {
  const text = await ctx.step("compose", async () => \`Hello, \${input.name}!\`)
  await ctx.wait("pause", { seconds: 1 })
  return text
})

const runner = createTestRunner({ functions: [greet] })
const tested = await runner.run("greet", { name: "test" })
await runner.dispose()

const greetOver = async (server: { url: string; close(): Promise<void> }) => {
  try {
    const res = await fetch(\`\${server.url}/v1/functions/greet/executions?wait=10\`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: { name: "Deno" } })
    })
    const view = await res.json()
    return [view.status, view.result]
  } finally {
    await server.close()
  }
}
const served = await greetOver(await serve({ functions: [greet], kvPath: Deno.args[0], port: 0, hostname: "127.0.0.1", handleSignals: false }))
// The same on a SQLite file (dbPath): reprise/node's store, loaded from the package's .js beside reprise/deno's.
const onSqlite = await greetOver(await serve({ functions: [greet], dbPath: Deno.args[1], port: 0, hostname: "127.0.0.1", handleSignals: false }))
console.log(JSON.stringify({ deno: Deno.version.deno, tested: [tested.status, tested.result], served, onSqlite }))
`
