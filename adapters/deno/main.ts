/**
 * The example durable functions on Deno, the counterpart of `npm start` (examples/server.ts):
 *   node_modules/.bin/deno run -A --config adapters/deno/deno.json adapters/deno/main.ts
 * Serves on 127.0.0.1:8787 (PORT for another) with Deno KV in ./reprise.kv (REPRISE_KV for another file; on Deno
 * Deploy the project's managed KV), or in the SQLite file REPRISE_DB names. REPRISE_API_KEY requires a bearer key on
 * the management routes.
 */
import { functions } from "../../examples/index.ts"
import { startErrorLine } from "../node/start-error.ts" // plain TypeScript, no Node import
import { deno, envVar } from "./deno-api.ts"
import { serve } from "./serve.ts"

const onDeploy = envVar("DENO_DEPLOYMENT_ID") !== undefined
const dbPath = envVar("REPRISE_DB")
if (dbPath !== undefined && envVar("REPRISE_KV") !== undefined) {
  console.error("REPRISE_DB (a SQLite file) and REPRISE_KV (Deno KV) name two stores: set one of them")
  deno().exit(2)
}
const where = dbPath !== undefined ? { dbPath } : onDeploy || envVar("REPRISE_KV") !== undefined ? {} : { kvPath: "./reprise.kv" }
// A port in use, a bad PORT, a store another server holds: one line, as `npm start` says it, not an uncaught stack.
const server = await serve({ functions, ...where }).catch((error: unknown) => {
  console.error(`reprise: ${startErrorLine(error, envVar("PORT") ?? 8787, "127.0.0.1", "PORT")}`)
  return deno().exit(1)
})
console.log(`Reprise (Deno ${"Deno" in globalThis ? (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno : "?"}) is serving ${functions.length} durable functions at ${server.url}`)
console.log(`  console: ${server.url}/console`)
console.log(`  store: ${dbPath !== undefined ? `the SQLite file ${dbPath}` : `Deno KV (${envVar("REPRISE_KV") ?? (onDeploy ? "the project's database" : "./reprise.kv")})`}`)
console.log(server.authenticated ? "  auth: on (Authorization: Bearer $REPRISE_API_KEY)" : "  auth: off (local development; set REPRISE_API_KEY to require a key)")
for (const fn of functions) console.log(`  POST ${server.url}/v1/functions/${fn.name}/executions  ${fn.options.description ?? ""}`)
console.log("Ctrl-C stops it; executions resume where they were on the next start.")
