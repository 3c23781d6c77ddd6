/**
 * The contract functions served by reprise/deno, in a process of its own under the real deno binary:
 *   deno run -A --config adapters/deno/deno.json test/contract/runtimes/deno-server.ts <kv file> <api key>
 * Prints `listening <port>` once it serves. The contract suite kills it with SIGKILL to simulate a crash.
 */
import { serve } from "reprise/deno"
import { functions } from "../functions.ts"

const { args } = (globalThis as unknown as { Deno: { readonly args: ReadonlyArray<string> } }).Deno
const [kvPath, apiKey] = args as [string, string]
const server = await serve({ functions, kvPath, apiKey, port: 0 })
console.log(`listening ${server.port}`)
