/**
 * `npm start`: a local Reprise server with the example functions, on 127.0.0.1:8787 and ./reprise.db.
 * Set REPRISE_API_KEY to require a bearer key, REPRISE_DB for another file, PORT for another port.
 */
import { serve, startErrorLine } from "reprise/node"
import { functions } from "./index.ts"

const server = await serve({ functions }).catch((error: unknown) => {
  console.error(`reprise: ${startErrorLine(error, process.env.PORT ?? 8787, "127.0.0.1", "PORT")}`)
  process.exit(1)
})
console.log(`Reprise is serving ${functions.length} durable functions at ${server.url}`)
console.log(`  console:  ${server.url}/console`)
console.log(`  database: ${server.store.path}`)
console.log(server.authenticated ? "  auth: on (Authorization: Bearer $REPRISE_API_KEY)" : "  auth: off (local development; set REPRISE_API_KEY to require a key)")
for (const fn of functions) console.log(`  POST ${server.url}/v1/functions/${fn.name}/executions  ${fn.options.description ?? ""}`)
console.log("Ctrl-C stops it; executions resume where they were on the next start.")
