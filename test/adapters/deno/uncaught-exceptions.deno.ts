/**
 * An exception thrown where nothing catches it, in a timer a step body set, ended the whole Deno server process, and
 * each restart resumed the execution that threw it. The server logs it, naming the execution and the step, and stays
 * up, as Node's does; one thrown by code outside every durable function still ends the process.
 */
import { assert, type ChildProcess, Deno, tempDir, until } from "./deno-test-api.ts"
import { killProcess, startServerProcess } from "./server-process.ts"

const script = new URL("./exception-server.ts", import.meta.url).pathname

const withServer = async (mode: Array<string>, test: (server: { child: ChildProcess; port: number; printed: Array<string> }) => Promise<void>) => {
  const temp = await tempDir("reprise-deno-exception-")
  const printed: Array<string> = []
  const server = await startServerProcess(script, [`${temp.dir}/reprise.db`, ...mode], printed)
  try {
    await test({ ...server, printed })
  } finally {
    await killProcess(server.child)
    await temp.remove()
  }
}

const start = async (port: number, name: string): Promise<any> =>
  (await fetch(`http://127.0.0.1:${port}/v1/functions/${name}/executions?wait=20`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}"
  })).json()

Deno.test({
  name: "thrown in a timer a step body set (setTimeout, setInterval, setImmediate, or after the body returned): a log line naming the execution and step; the server stays up and the executions end",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer([], async ({ child, port, printed }) => {
      let exited: number | undefined
      void child.status.then((status) => void (exited = status.code))
      const execution = await start(port, "careless")
      assert.equal(execution.status, "SUCCEEDED", JSON.stringify(execution) + printed.join(""))
      assert.equal(execution.result, "sent")
      const thrown = [
        ["timeout", "RangeError", "the notifier's timer threw"],
        ["interval", "TypeError", "the poller's interval threw"],
        ["immediate", "SyntaxError", "the immediate threw"],
        ["after-return", "EvalError", "the late timer threw"]
      ] as const
      const logged = () => printed.join("").split("\n").filter((text) => text.includes("threw an exception nothing caught"))
      await until(() => logged().length >= thrown.length || exited !== undefined, 10_000, "the log lines").catch(() => undefined)
      assert.equal(exited, undefined, `the server ended: ${printed.join("")}`)
      const lines = logged().map((text) => JSON.parse(text))
      for (const [step, errorType, message] of thrown) {
        const line = lines.find((entry) => entry.operationName === step)
        assert.ok(line !== undefined, `no line for step ${step}: ${printed.join("")}`)
        assert.equal(line.level, "error")
        assert.equal(line.message, `execution ${execution.executionId} threw an exception nothing caught: ${message}`)
        assert.equal(line.executionId, execution.executionId)
        assert.equal(line.errorType, errorType)
      }
      const other = await start(port, "steady")
      assert.equal(other.status, "SUCCEEDED")
      assert.equal(other.result, "done")
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
      await health.body?.cancel()
      assert.equal(health.status, 200)
      assert.equal(exited, undefined)
    })
})

Deno.test({
  name: "thrown by code outside every durable function: the process ends with exit code 1, the error on stderr",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(["server-throws"], async ({ child, printed }) => {
      let bound: ReturnType<typeof setTimeout> | undefined
      const status = await Promise.race([child.status, new Promise<undefined>((resolve) => (bound = setTimeout(() => resolve(undefined), 20_000)))])
      clearTimeout(bound)
      assert.equal(status?.code, 1)
      assert.ok(printed.join("").includes("the server's own code threw"), printed.join(""))
    })
})

Deno.test({
  name: "thrown in a timer of a step body the next start resumes: logged again, and the execution ends",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const temp = await tempDir("reprise-deno-exception-")
    const printed: Array<string> = []
    const dbPath = `${temp.dir}/reprise.db`
    let server = await startServerProcess(script, [dbPath], printed)
    try {
      const threw = () => printed.join("").split("\n").filter((text) => text.includes("the resumed step's timer threw")).length
      const started: any = await (await fetch(`http://127.0.0.1:${server.port}/v1/functions/resumed/executions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}"
      })).json()
      await until(() => threw() === 1, 10_000, "the first attempt's line (the server ended?)")
      await killProcess(server.child)
      server = await startServerProcess(script, [dbPath], printed)
      let exited: number | undefined
      void server.child.status.then((status) => void (exited = status.code))
      await until(() => threw() === 2 || exited !== undefined, 10_000, "the resumed attempt's line").catch(() => undefined)
      assert.equal(exited, undefined, `the server ended: ${printed.join("")}`)
      assert.equal(threw(), 2)
      const view = async (): Promise<any> => (await fetch(`http://127.0.0.1:${server.port}/v1/executions/${started.executionId}`)).json()
      await until(async () => (await view()).status !== "RUNNING", 20_000, "the execution to end")
      assert.equal((await view()).status, "SUCCEEDED")
      assert.equal((await view()).result, "slow done")
    } finally {
      await killProcess(server.child)
      await temp.remove()
    }
  }
})
