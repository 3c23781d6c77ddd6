/**
 * The console's login throttle on reprise/deno counts per client address, as on Node: five wrong keys from one
 * address (127.0.0.2, a second loopback address) get 429 there, and the operator logging in from another (127.0.0.1)
 * still gets in. Before, Deno's requests carried no address, every client shared one count, and anyone could lock
 * the operator out of the console for a minute.
 */
import { serve } from "../../../adapters/deno/serve.ts"
import { durable } from "../../../src/index.ts"
import { MAX_FAILURES } from "../../../src/http/console/login-throttle.ts"
import { assert, Deno, tempDir } from "./deno-test-api.ts"

/** The part of node:http used here, typed here: a written-out import would make deno's type check want @types/node. */
interface NodeHttp {
  readonly request: (options: Record<string, unknown>, onAnswer: (res: {
    readonly statusCode?: number
    readonly headers: Record<string, string | ReadonlyArray<string> | undefined>
    setEncoding(encoding: string): void
    on(event: string, listener: (chunk: string) => void): void
  }) => void) => {
    on(event: string, listener: (error: Error) => void): void
    destroy(error: Error): void
    end(body?: string): void
  }
}
const httpModule = "node:http"
const { request } = await import(httpModule) as NodeHttp

const KEY = "operator-key"
const noop = durable("noop", async () => "ok")

interface Answer {
  readonly status: number
  readonly cookie: string
  readonly text: string
}

/** One request from `from` (a loopback address of this machine), through node:http, which can bind the client side. */
const send = (port: number, from: string, path: string, init: { method?: string; cookie?: string; form?: Record<string, string> } = {}) =>
  new Promise<Answer>((resolve, reject) => {
    const body = init.form === undefined ? undefined : new URLSearchParams(init.form).toString()
    const headers: Record<string, string> = {}
    if (init.cookie !== undefined) headers.cookie = init.cookie
    if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded"
    const req = request({ host: "127.0.0.1", port, path, method: init.method ?? "GET", localAddress: from, headers, timeout: 10_000 }, (res) => {
      let text = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => void (text += chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, cookie: [res.headers["set-cookie"] ?? []].flat()[0]?.split(";")[0] ?? "", text }))
    })
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path} within 10 s`)))
    req.on("error", reject)
    req.end(body)
  })

/** Logs in through the real form: the login page's token and cookie, then the post. */
const login = async (port: number, from: string, key: string) => {
  const page = await send(port, from, "/console/login")
  const token = /name="form_token" value="([^"]+)"/.exec(page.text)?.[1] ?? ""
  return send(port, from, "/console/login", { method: "POST", cookie: page.cookie, form: { key, next: "/console", form_token: token } })
}

Deno.test({
  name: "console logins on Deno are throttled per client address: a guesser elsewhere does not lock the operator out",
  fn: async () => {
    const temp = await tempDir("reprise-deno-login-")
    const server = await serve({ functions: [noop], kvPath: `${temp.dir}/reprise.kv`, port: 0, apiKey: KEY, handleSignals: false })
    try {
      for (let i = 0; i < MAX_FAILURES; i++) assert.equal((await login(server.port, "127.0.0.2", "wrong")).status, 401, `try ${i + 1}`)
      assert.equal((await login(server.port, "127.0.0.2", KEY)).status, 429, "the guessing address is held off, even with the right key")
      const operator = await login(server.port, "127.0.0.1", KEY)
      assert.equal(operator.status, 303, "another address logs in")
      assert.equal((await send(server.port, "127.0.0.1", "/console", { cookie: operator.cookie })).status, 200)
    } finally {
      await server.close()
      await temp.remove()
    }
  }
})
