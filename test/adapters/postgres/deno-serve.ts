/**
 * Run by deno-postgres.test.ts under the real deno (adapters/deno/deno.json maps reprise/postgres): reprise/postgres's
 * server on the PostgreSQL at argv's URL, one execution with a step over HTTP; prints its view as JSON.
 */
import process from "node:process"
import { durable } from "reprise"
import { servePostgres } from "reprise/postgres"

const hello = durable("hello", async (name: string, ctx) => ctx.step("greet", async () => `Hello, ${name}!`))
const server = await servePostgres({ functions: [hello], url: process.argv[2]!, schema: "deno", port: 0, handleSignals: false })
try {
  const started = await fetch(`${server.url}/v1/functions/hello/executions?wait=10`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: "Deno" })
  })
  const view = await started.json() as { status: string; result: unknown }
  console.log(JSON.stringify({ http: started.status, status: view.status, result: view.result }))
} finally {
  await server.close()
}
