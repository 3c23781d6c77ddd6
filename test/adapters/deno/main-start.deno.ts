/**
 * `npm run start:deno` (adapters/deno/main.ts) refused its port says so in one line and exits 1, as `npm start`
 * does on Node; before, Deno printed an uncaught AddrInUse with its stack.
 */
import { assert, Deno, sleep, tempDir } from "./deno-test-api.ts"

const config = new URL("../../../adapters/deno/deno.json", import.meta.url).pathname
const main = new URL("../../../adapters/deno/main.ts", import.meta.url).pathname

Deno.test({
  name: "main.ts on a port in use: one line naming the port, exit 1",
  fn: async () => {
    const temp = await tempDir("reprise-deno-main-")
    const holder = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => undefined }, () => new Response("taken"))
    const port = holder.addr.port
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", config, main],
        env: { PORT: String(port), REPRISE_KV: `${temp.dir}/reprise.kv`, NO_COLOR: "1" },
        cwd: temp.dir,
        stdin: "null",
        stdout: "null",
        stderr: "piped"
      }).spawn()
      const stderr = new Response(child.stderr).text()
      const ended = await Promise.race([child.status, sleep(60_000).then(() => undefined)])
      if (ended === undefined) child.kill("SIGKILL")
      assert.ok(ended !== undefined, "main.ts ended within 60 s")
      assert.equal(ended!.code, 1)
      const text = (await stderr).trim()
      assert.equal(text, `reprise: port ${port} on 127.0.0.1 is in use (another server?): stop it, or choose another port (PORT)`)
    } finally {
      await holder.shutdown()
      await temp.remove()
    }
  }
})
