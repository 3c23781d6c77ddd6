/**
 * The crash soak's workerd server (bench/soak/soak.ts --runtime=workerd):
 *   node workerd-soak-server.ts <persist dir> <bundled worker> <ledger url>
 * Runs the bundled soak Worker in Miniflare (workerd, the copy wrangler brings) with its Durable Objects persisted
 * under <persist dir>, and prints `listening <port>` once workerd serves. The driver starts it in its own process
 * group and kills the group (this process and workerd) with SIGKILL, then starts it again over the same directory.
 */
import { dirname } from "node:path"
import { convertV4MiniflareOptions, Miniflare } from "miniflare"

const [persistDir, scriptPath, ledgerUrl] = process.argv.slice(2) as [string, string, string]

const mf = new Miniflare(convertV4MiniflareOptions({
  modules: true,
  scriptPath,
  modulesRoot: dirname(scriptPath),
  compatibilityDate: "2026-11-01",
  durableObjects: {
    EXECUTIONS: { className: "ExecutionObject", useSQLite: true },
    EXECUTION_INDEX: { className: "IndexObject", useSQLite: true }
  },
  bindings: { LEDGER_URL: ledgerUrl, REPRISE_LOG_LEVEL: "warn" },
  resourcePersistencePath: persistDir,
  host: "127.0.0.1",
  port: 0
}))
const url = await mf.ready
console.log(`listening ${url.port}`)
