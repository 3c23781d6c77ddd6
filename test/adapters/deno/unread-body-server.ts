/**
 * For serve.deno.ts: a server that answers one POST without reading its body (401), closes, and ends; the process
 * must then exit, with nothing left holding it (a body's deadline timer held it for requestTimeoutMs).
 *   deno run -A --config adapters/deno/deno.json unread-body-server.ts <kv file>
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { Deno } from "./deno-test-api.ts"
import { napping } from "./server-fixture.ts"

const server = await serve({ functions: [napping], kvPath: Deno.args[0]!, port: 0, handleSignals: false, apiKey: "k" })
const refused = await fetch(`${server.url}/v1/functions/${napping.name}/executions`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ input: "x" })
})
await refused.body?.cancel()
await server.close()
console.log(`answered ${refused.status}, closed`)
