/**
 * The contract suite on Lambda: the HTTP API from reprise/lambda (`createLambdaHttpApp`, whose routes are answered
 * by Lambda's control plane) served on 127.0.0.1, with AWS's local test runner as the control plane, running the
 * contract functions wrapped by reprise/lambda's `withDurableExecution`.
 *
 * The runner answers only the callback calls of the control plane (SendDurableExecutionCallbackSuccess, Failure,
 * Heartbeat): it has no Invoke, GetDurableExecution, GetDurableExecutionHistory, ListDurableExecutionsByFunction
 * or StopDurableExecution. So on Lambda the suite runs only the checks whose routes exist here:
 *   - the callback checks (the execution is started by the runner, its callback completed over the HTTP API);
 *   - a wrong callback id, bad input and auth (answered by the app and the function map before any call out).
 * Left out, for want of those control-plane calls: start/describe/wait, history, list, stop, the 1 s wait, the
 * retry and invoke checks (they start and observe executions over the API), and crash-resume (the service keeps
 * the log; there is no process of ours to restart).
 */
import { LocalDurableTestRunner, WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { createAdaptorServer } from "@hono/node-server"
import type { AddressInfo } from "node:net"
import { createLambdaHttpApp, withDurableExecution } from "reprise/lambda"
import { approval, functions } from "./functions.ts"
import { contractSuite } from "./suite.ts"

/** A LambdaClient whose callback commands go to the local runner's checkpoint server; anything else is refused. */
const runnerControlPlane = () => {
  const api = (LocalDurableTestRunner as unknown as { createDurableApi(): Record<string, (input: unknown) => Promise<unknown>> }).createDurableApi()
  const calls: Record<string, string> = {
    SendDurableExecutionCallbackSuccessCommand: "sendCallbackSuccess",
    SendDurableExecutionCallbackFailureCommand: "sendCallbackFailure",
    SendDurableExecutionCallbackHeartbeatCommand: "sendCallbackHeartbeat"
  }
  return {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      const call = calls[command.constructor.name]
      if (call === undefined) throw Object.assign(new Error(`not in AWS's local runner: ${command.constructor.name}`), { name: "UnsupportedOperation" })
      return api[call]!(command.input)
    }
  }
}

contractSuite("Lambda (AWS's local runner)", async () => {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false })
  const apiKey = "contract-lambda-key"
  const app = createLambdaHttpApp({
    functions: Object.fromEntries(functions.map((fn) => [fn.name, `${fn.name}:live`])),
    client: runnerControlPlane(),
    apiKey
  })
  const http = createAdaptorServer({ fetch: app.fetch })
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject)
    http.listen(0, "127.0.0.1", () => resolve())
  })
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return {
    url: () => url,
    apiKey,
    startAwaitingCallback: async (label) => {
      const runner = new LocalDurableTestRunner({ handlerFunction: withDurableExecution(approval) })
      const running = runner.run({ payload: { label } })
      const operation = await runner.getOperation("approval").waitForData(WaitingOperationStatus.SUBMITTED)
      const callbackId = operation.getCallbackDetails()?.callbackId
      if (callbackId === undefined) throw new Error("the runner shows no callback id for contract-approval")
      return {
        callbackId,
        ended: async () => {
          const result = await running
          return { status: String(result.getStatus()), result: result.getResult() }
        }
      }
    },
    close: async () => {
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await LocalDurableTestRunner.teardownTestEnvironment()
    }
  }
}, { only: ["callback", "badInput", "auth"] })
