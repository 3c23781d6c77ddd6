/** A Deno server script in its own process, for the tests that kill it or watch it end (bounded in time). */
import { type ChildProcess, Deno, sleep } from "./deno-test-api.ts"

const config = new URL("../../../adapters/deno/deno.json", import.meta.url).pathname

/**
 * Runs `deno run -A <script> ...args`; resolves once it prints `listening <port>` (within 20 s). Its stderr goes to
 * `printed` as it arrives.
 */
export const startServerProcess = async (
  script: string,
  args: ReadonlyArray<string>,
  printed: Array<string>
): Promise<{ child: ChildProcess; port: number }> => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", config, script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped"
  }).spawn()
  void child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(new WritableStream({ write: (text) => void printed.push(text) }))
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  let output = ""
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), sleep(deadline - Date.now()).then(() => undefined)])
    if (chunk === undefined || chunk.done) break
    output += chunk.value
    const match = /listening (\d+)/.exec(output)
    if (match !== null) {
      void reader.read().then(function drain(next): Promise<void> | void {
        if (!next.done) return reader.read().then(drain)
      }).catch(() => undefined)
      return { child, port: Number(match[1]) }
    }
  }
  child.kill("SIGKILL")
  throw new Error(`the server did not start: ${output} ${printed.join("")}`)
}

export const killProcess = async (child: ChildProcess) => {
  try {
    child.kill("SIGKILL")
  } catch { /* already gone */ }
  await child.status
}
