/**
 * The contract suite on Node: `serve` from reprise/node on a temporary SQLite file. `restart()` closes the server
 * and serves again on the same file (the callback-signing secret is kept in it).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve } from "reprise/node"
import { functions } from "./functions.ts"
import { contractSuite } from "./suite.ts"

contractSuite("Node/SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-contract-node-"))
  const apiKey = "contract-node-key"
  const open = () => serve({ functions, dbPath: join(dir, "reprise.db"), port: 0, apiKey, handleSignals: false })
  let server = await open()
  return {
    url: () => server.url,
    apiKey,
    restart: async () => {
      await server.close()
      server = await open()
    },
    close: async () => {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
})
