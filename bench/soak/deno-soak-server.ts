/**
 * The crash soak's Deno server (bench/soak/soak.ts --runtime=deno), under the real deno binary:
 *   deno run -A --config adapters/deno/deno.json bench/soak/deno-soak-server.ts <kv file> <ledger> <generation>
 * Prints `listening <port>` once it serves; the driver kills it with SIGKILL and starts it again over the same KV file.
 */
import { serve } from "reprise/deno"
import { soakFunctions } from "./soak-functions.ts"

interface DenoFile {
  writeSync(bytes: Uint8Array): number
  syncDataSync(): void
}
const Deno = (globalThis as unknown as {
  Deno: { readonly args: ReadonlyArray<string>; openSync(path: string, options: { append: boolean; create: boolean }): DenoFile }
}).Deno
const [kvPath, ledgerPath, generation] = Deno.args as [string, string, string]
const ledger = Deno.openSync(ledgerPath, { append: true, create: true })
const encoder = new TextEncoder()
const functions = soakFunctions((line) => {
  ledger.writeSync(encoder.encode(`${JSON.stringify(line)}\n`))
  ledger.syncDataSync()
}, Number(generation))

const server = await serve({ functions, kvPath, port: 0, evictEveryMs: 1000, onError: () => {} })
console.log(`listening ${server.port}`)
