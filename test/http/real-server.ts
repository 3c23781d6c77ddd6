/**
 * The Node server (reprise/node `serve`) on 127.0.0.1 over a temporary SQLite file, and a raw `node:http` client
 * that sets any header (fetch would not send a forged Host) and can share a keep-alive Agent between requests.
 */
import { mkdtempSync, rmSync } from "node:fs"
import http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { serve, type Server, type ServeOptions } from "../../adapters/node/serve.ts"
import { approval, echo } from "./http-fixture.ts"

export interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly text: string
  readonly json: Record<string, unknown> | undefined
  /** The socket the answer came on, to tell whether a keep-alive connection was reused. */
  readonly socket: unknown
}

export interface RawRequest {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly body?: string | Uint8Array
  readonly agent?: http.Agent
}

export const rawRequest = (server: Server, path: string, request: RawRequest = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port: server.port,
      path,
      method: request.method ?? "GET",
      headers: request.headers ?? {},
      agent: request.agent ?? false
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        const json = /json/.test(res.headers["content-type"] ?? "") && text !== "" ? JSON.parse(text) as Record<string, unknown> : undefined
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, socket: res.socket })
      })
      res.on("error", reject)
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${path} in 10 s`)))
    req.on("error", reject)
    req.end(request.body)
  })

/** Runs `body` against a fresh server, then closes it and removes its files. */
export const withRealServer = async (
  body: (server: Server) => Promise<void>,
  options: Partial<Omit<ServeOptions, "functions">> = {}
): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-http-"))
  const server = await serve({ functions: [approval, echo], dbPath: join(dir, "reprise.db"), port: 0, handleSignals: false, ...options })
  try {
    await body(server)
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export const JSON_TYPE = { "content-type": "application/json" } as const
