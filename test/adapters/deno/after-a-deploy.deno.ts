/**
 * After a deploy, on Deno KV: reprise/deno's server closed and served again on the same KV file with the functions
 * of each deploy, driven over HTTP through the scenario of ../after-a-deploy.
 */
import { serve, type Server, type SqliteServer } from "../../../adapters/deno/serve.ts"
import { functionsOf } from "../after-a-deploy/functions.ts"
import { afterADeploy } from "../after-a-deploy/scenario.ts"
import { assert, Deno, tempDir } from "./deno-test-api.ts"

Deno.test({
  name: "KV: executions of a removed function are stopped and paused, changed code is paused without failing, a late callback is not running, a rewind runs under the new label",
  fn: async () => {
    const temp = await tempDir("reprise-deno-after-a-deploy-")
    let server: Server | SqliteServer | undefined
    try {
      await afterADeploy(async (deploy) => {
        await server?.close()
        server = await serve({ functions: functionsOf(deploy), kvPath: `${temp.dir}/reprise.kv`, port: 0, handleSignals: false })
        return { url: server.url }
      }, assert)
    } finally {
      await server?.close()
      await temp.remove()
    }
  }
})
