/**
 * The files `reprise init` writes, per target. Every target gets the same durable function and its test (run by
 * Node's own test runner on type stripping, so `npm test` needs nothing but reprise); they differ in how the
 * function is served: a Node server on SQLite, a Worker with its Durable Objects, or a Lambda handler (served
 * locally on Node by `npm start`).
 */

export const TARGETS = ["node", "workers", "lambda"] as const
export type Target = (typeof TARGETS)[number]

export interface TemplateInput {
  readonly name: string
  readonly target: Target
  readonly repriseVersion: string
  /**
   * The dependency on reprise as the project's package.json gives it: `^<version>` from the registry, or the tarball
   * reprise was installed from where `init` ran (`file:…`, relative to the new project), so that `npm install` works
   * there before reprise is on the registry.
   */
  readonly repriseSpec?: string
  /** Reprise's own "engines" range for Node, repeated so that npm warns on an older Node. */
  readonly nodeRange: string | undefined
}

const FUNCTIONS = `import { durable } from "reprise"

/**
 * A durable function: each step's result is checkpointed, so after a crash or a deploy the function resumes where
 * it was and no finished step runs again. The wait sleeps without holding memory or a process.
 */
export const greet = durable("greet", async (input: { name: string }, ctx) => {
  const greeting = await ctx.step("compose", async () => \`Hello, \${input.name}!\`)
  await ctx.wait("pause", { seconds: 2 })
  const shouted = await ctx.step("shout", async () => greeting.toUpperCase())
  return { greeting, shouted }
})

export const functions = [greet]
`

const TEST = `import assert from "node:assert/strict"
import { test } from "node:test"
import { createTestRunner } from "reprise/testing"
import { functions } from "../src/functions.ts"

test("greet runs its steps in order; the wait costs no real time", async () => {
  const runner = createTestRunner({ functions })
  try {
    const execution = await runner.run("greet", { name: "Ada" })
    // The result, or an error that tells the status, the error, its causes and the line that failed.
    assert.deepEqual(execution.expectSucceeded(), { greeting: "Hello, Ada!", shouted: "HELLO, ADA!" })
    assert.equal(execution.getOperation("shout")?.status, "SUCCEEDED")
  } finally {
    await runner.dispose()
  }
})
`

const SERVER = `import { serve, startErrorLine } from "reprise/node"
import { functions } from "./functions.ts"

// Port $PORT (default 8787), database ./reprise.db ($REPRISE_DB); set REPRISE_API_KEY to require a bearer key.
const server = await serve({ functions }).catch((error: unknown) => {
  // A port in use, a database another server holds: one line, not a stack.
  console.error(\`reprise: \${startErrorLine(error, process.env.PORT ?? 8787, "127.0.0.1", "PORT")}\`)
  process.exit(1)
})
const auth = server.authenticated ? " -H 'authorization: Bearer $REPRISE_API_KEY'" : ""
console.log(\`Reprise is serving \${functions.map((fn) => fn.name).join(", ")} at \${server.url} (console: \${server.url}/console)\`)
console.log(\`Try: curl -X POST '\${server.url}/v1/functions/greet/executions?wait=10'\${auth} -H 'content-type: application/json' -d '{"input":{"name":"Ada"}}'\`)
`

const WORKER = `import { createWorker } from "reprise/cloudflare"
import { functions } from "./functions.ts"

// One Durable Object per execution (ExecutionObject), the listing index (IndexObject), and one per function with
// flow control (FlowObject: concurrency, rateLimit, priority, debounce): see wrangler.toml.
const worker = createWorker({ functions })

export const { ExecutionObject, IndexObject, FlowObject } = worker
export default { fetch: worker.fetch }
`

const wranglerToml = (name: string) => `name = "${name}"
main = "src/worker.ts"
compatibility_date = "2026-11-01"

# Secrets for a deployed Worker: npx wrangler secret put REPRISE_API_KEY (and REPRISE_CALLBACK_SECRET).

[[durable_objects.bindings]]
name = "EXECUTIONS"
class_name = "ExecutionObject"

[[durable_objects.bindings]]
name = "EXECUTION_INDEX"
class_name = "IndexObject"

[[durable_objects.bindings]]
name = "FLOW_CONTROL"
class_name = "FlowObject"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["ExecutionObject", "IndexObject", "FlowObject"]
`

const HANDLER = `import { withDurableExecution } from "reprise/lambda"
import { greet } from "./functions.ts"

// The Lambda handler: deploy it as a durable function (bundle it, e.g. with esbuild, and give the function durable
// configuration). \`npm start\` serves the same function locally on Node instead.
export const handler = withDurableExecution(greet)
`

const tsconfig = (target: Target) => `{
  // Type checking only (npm run typecheck): Node runs the .ts files itself by stripping types, which is why
  // imports name their .ts files and only erasable syntax is allowed (no enums, no parameter properties).${target === "workers" ? `
  // worker-configuration.d.ts (npm run cf-typegen) types the Workers runtime and this Worker's bindings. Keep
  // skipLibCheck: those runtime types and Node's (for the test) declare the same globals.` : ""}
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2023"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "allowImportingTsExtensions": true,
    "erasableSyntaxOnly": true,
    "verbatimModuleSyntax": true,
    "skipLibCheck": true,
    "types": ["node"]
  },
  "include": ["src", "test"${target === "workers" ? ", \"worker-configuration.d.ts\"" : ""}]
}
`

const GITIGNORE = `node_modules/
*.db
*.db-wal
*.db-shm
*.db-lock
*.db-lock-journal
.wrangler/
`

const RUN: Record<Target, { readonly start: string; readonly about: string }> = {
  node: { start: "a Reprise server on http://127.0.0.1:8787 (SQLite in ./reprise.db)", about: "reprise/node" },
  workers: { start: "the Worker under wrangler dev on http://localhost:8787", about: "reprise/cloudflare" },
  lambda: { start: "the function locally on Node (the Lambda handler is src/handler.ts)", about: "reprise/lambda" }
}

const readme = (input: TemplateInput) => `# ${input.name}

A durable function with Reprise (${RUN[input.target].about}).

\`\`\`sh
npm install
npm test     # the function's test, on reprise/testing's virtual clock
npm start    # ${RUN[input.target].start}
\`\`\`
${input.target === "workers" ? "\nDeploy: `npx wrangler login`, then `npm run deploy`. Types for the Workers runtime and the bindings in\nwrangler.toml: `npm run cf-typegen` (again after changing wrangler.toml), then `npm run typecheck`.\n" : ""}
Code runs on Node's type stripping: import local files with their \`.ts\` extension and avoid enums.
`

const packageJson = (input: TemplateInput): string => {
  const reprise = input.repriseSpec ?? `^${input.repriseVersion}`
  const common = { typescript: "^7.0.2", "@types/node": "^24.0.0" }
  const byTarget: Record<Target, { scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> }> = {
    node: {
      // A small young generation, as the README advises: leaner and faster for a server (docs/engine.md).
      scripts: { start: "node --max-semi-space-size=2 src/server.ts", dev: "reprise dev src/functions.ts" },
      dependencies: { reprise },
      devDependencies: common
    },
    workers: {
      scripts: { start: "wrangler dev", deploy: "wrangler deploy", "cf-typegen": "wrangler types" },
      dependencies: { reprise },
      devDependencies: { ...common, wrangler: "^4.0.0" }
    },
    lambda: {
      scripts: { start: "node src/server.ts" },
      dependencies: { reprise, "@aws-sdk/client-lambda": "^3.1164.0" },
      devDependencies: common
    }
  }
  const chosen = byTarget[input.target]
  return `${JSON.stringify({
    name: input.name,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: { ...chosen.scripts, test: "node --test \"test/**/*.test.ts\"", typecheck: "tsc" },
    dependencies: chosen.dependencies,
    devDependencies: chosen.devDependencies,
    ...(input.nodeRange === undefined ? {} : { engines: { node: input.nodeRange } })
  }, null, 2)}\n`
}

/** The project's files, by path relative to its folder. */
export const templates = (input: TemplateInput): Record<string, string> => ({
  "package.json": packageJson(input),
  "README.md": readme(input),
  ".gitignore": GITIGNORE,
  "tsconfig.json": tsconfig(input.target),
  "src/functions.ts": FUNCTIONS,
  "test/functions.test.ts": TEST,
  ...(input.target === "node" ? { "src/server.ts": SERVER } : {}),
  ...(input.target === "workers" ? { "src/worker.ts": WORKER, "wrangler.toml": wranglerToml(input.name) } : {}),
  ...(input.target === "lambda" ? { "src/handler.ts": HANDLER, "src/server.ts": SERVER } : {})
})
