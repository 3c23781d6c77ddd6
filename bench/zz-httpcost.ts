import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
const root = process.argv[2] ?? "/work/main"
const dir = mkdtempSync(join(tmpdir(), "httpcost-"))
const child = spawn(process.execPath, [...(process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof2"] : []), "--conditions=reprise-source", join(root, "bench/workload-server.ts"), join(dir, "b.db"), "NORMAL"], { stdio: ["ignore", "pipe", "ignore"] })
const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", (l) => resolve(JSON.parse(l).url)))
const cpu = () => { const f = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10 }
const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 2000 })
const call = (method: string, path: string, body?: string) => new Promise<number>((resolve, reject) => {
  const headers: Record<string, string | number> = body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
  const req = request(url + path, { method, agent, headers }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode!)) })
  req.on("error", reject); req.end(body)
})
const all: Record<string, () => Promise<number>> = {
  healthz: () => call("GET", "/healthz"),
  "start n=0 ?wait": () => call("POST", "/v1/functions/steps/executions?wait=60", JSON.stringify({ input: 0 })),
  "start n=10 ?wait": () => call("POST", "/v1/functions/steps/executions?wait=60", JSON.stringify({ input: 10 })),
  "describe unknown": () => call("GET", "/v1/executions/nope"),
}
const kinds = Object.fromEntries(Object.entries(all).filter(([k]) => (process.env.ONLY ?? k) === k))
const res: Record<string, number[]> = {}
for (let round = 0; round < 40; round++) {
  for (const [k, f] of Object.entries(kinds)) {
    const c0 = cpu()
    const codes = await Promise.all(Array.from({ length: 200 }, f))
    if (codes.some((c) => c >= 500)) throw new Error(`${k}: ${codes.find((c) => c >= 500)}`)
    if (round >= 10) (res[k] ??= []).push((cpu() - c0) / 200)
  }
}
for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(20)} us CPU/request: mean ${(1000 * v.reduce((a, b) => a + b) / v.length).toFixed(0)}`)
agent.destroy(); child.kill("SIGTERM")
