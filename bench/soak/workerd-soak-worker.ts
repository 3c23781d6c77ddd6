/**
 * The crash soak's Worker (bench/soak/soak.ts --runtime=workerd): the Reprise Cloudflare adapter over the soak's
 * functions. Its step bodies post their ledger lines to the driver (`LEDGER_URL`, on 127.0.0.1), which fsyncs each
 * line before it answers, so a line is durable once the body goes on: a ledger outside the Durable Objects' storage.
 * Bundled by the driver with esbuild and run by bench/soak/workerd-soak-server.ts in Miniflare's workerd.
 */
import { env } from "cloudflare:workers"
import { createWorker } from "../../adapters/cloudflare/index.ts"
import { type LedgerLine, soakFunctions } from "./soak-functions.ts"

const append = async (line: LedgerLine) => {
  const response = await fetch(String(env.LEDGER_URL), { method: "POST", body: JSON.stringify(line) })
  await response.text()
  if (!response.ok) throw new Error(`the ledger answered ${response.status}`)
}

/** This isolate's runs: a random prefix (the driver records which generation each line came in). */
let prefix: string | undefined
const worker = createWorker({ functions: soakFunctions(append, -1, () => (prefix ??= crypto.randomUUID().slice(0, 8))) })

export const { ExecutionObject, IndexObject } = worker
export default { fetch: worker.fetch }
