/**
 * How the HTTP API on Lambda answers the control plane's refusals. A request the service refused for what it asked
 * (an unknown function or id, a payload over its limit, a parameter it did not accept) gets the route's own 4xx,
 * never the 503 "may be retried" of a failure underneath, which a client would retry for ever.
 */
import { describe, expect, it } from "vitest"
import { createLambdaHttpHandler, encodeExecutionId } from "../../../adapters/lambda/index.ts"
import { apiGatewayEvent, call } from "./api-gateway-event.ts"

/** An error as the AWS SDK throws it: named, with the HTTP status it came with. */
const awsError = (name: string, httpStatusCode: number, message = name) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode } })

/** A LambdaClient stand-in: `answers` names, per command, what it returns or throws. */
const serviceAnswering = (answers: Record<string, (input: any) => unknown>) => {
  const sent: Array<{ name: string; input: any }> = []
  const client = {
    send: async (command: { constructor: { name: string }; input: any }) => {
      sent.push({ name: command.constructor.name, input: command.input })
      const answer = answers[command.constructor.name]
      if (answer === undefined) throw awsError("ServiceException", 500, `unexpected ${command.constructor.name}`)
      return answer(command.input)
    }
  }
  const http = createLambdaHttpHandler({ functions: { orders: "orders:live" }, client })
  return { sent, request: (method: string, target: string, body?: unknown) => call(http, apiGatewayEvent(method, target, body)) }
}

const answered = async (result: Promise<{ statusCode: number; body: string }>) => {
  const { statusCode, body } = await result
  const problem = JSON.parse(body)
  return { status: statusCode, type: String(problem.type).split("/").pop(), detail: problem.detail }
}

const throws = (error: Error) => () => {
  throw error
}

const ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:live/durable-execution/o-1/abc"

describe("the HTTP API on Lambda, when the service refuses", () => {
  it("pages a listing with the cursor it gave: Lambda's marker goes back as it came", async () => {
    const t = new Date("2026-11-26T10:00:00Z")
    const api = serviceAnswering({
      ListDurableExecutionsByFunctionCommand: (input) =>
        input.Marker === undefined
          ? { DurableExecutions: [{ DurableExecutionArn: ARN, Status: "RUNNING", StartTimestamp: t }], NextMarker: "eyJrIjoiYWJjIn0=" }
          : { DurableExecutions: [] }
    })
    const first = await api.request("GET", "/v1/executions?limit=1")
    const cursor = JSON.parse(first.body).nextCursor
    const second = await api.request("GET", `/v1/executions?limit=1&cursor=${encodeURIComponent(cursor)}`)
    expect([second.statusCode, JSON.parse(second.body)]).toEqual([200, { executions: [] }])
    expect(api.sent.at(-1)!.input.Marker).toBe("eyJrIjoiYWJjIn0=")
    // A cursor of another kind (a store's) is not a marker Lambda gave.
    expect(await answered(api.request("GET", "/v1/executions?cursor=1764151200000.o-1"))).toEqual({
      status: 400,
      type: "invalid-request",
      detail: "The cursor is not the nextCursor of a listing on Lambda"
    })
  })

  it("answers a start of a function Lambda does not know 404, and one over its payload limit 413", async () => {
    const unknown = serviceAnswering({ InvokeCommand: throws(awsError("ResourceNotFoundException", 404, "Function not found: orders:live")) })
    expect(await answered(unknown.request("POST", "/v1/functions/orders/executions", { input: 1 }))).toMatchObject({ status: 404, type: "function-not-found" })
    const large = serviceAnswering({ InvokeCommand: throws(awsError("RequestTooLargeException", 413, "Request must be smaller than 1048576 bytes")) })
    expect(await answered(large.request("POST", "/v1/functions/orders/executions", { input: 1 }))).toMatchObject({ status: 413 })
    const refused = serviceAnswering({ InvokeCommand: throws(awsError("InvalidParameterValueException", 400, "DurableExecutionName is invalid")) })
    expect(await answered(refused.request("POST", "/v1/functions/orders/executions", { input: 1 }))).toEqual({
      status: 400,
      type: "invalid-request",
      detail: "Lambda refused the request: DurableExecutionName is invalid"
    })
    // An error the SDK names in no way known here is judged by its HTTP status.
    const byStatus = serviceAnswering({ InvokeCommand: throws(awsError("SomeNewException", 404)) })
    expect(await answered(byStatus.request("POST", "/v1/functions/orders/executions", { input: 1 }))).toMatchObject({ status: 404 })
  })

  it("answers 503 only for what a retry can help: throttling and the service's own failures", async () => {
    for (const error of [awsError("TooManyRequestsException", 429), awsError("ServiceException", 500), new Error("socket hang up")]) {
      const api = serviceAnswering({ InvokeCommand: throws(error) })
      const result = await api.request("POST", "/v1/functions/orders/executions", { input: 1 })
      expect([result.statusCode, result.headers?.["retry-after"]]).toEqual([503, "1"])
    }
  })

  it("answers 404 for an id that names no execution, whether the service finds no such ARN or refuses it as one", async () => {
    for (const error of [awsError("ResourceNotFoundException", 404), awsError("InvalidParameterValueException", 400, "Invalid ARN")]) {
      const api = serviceAnswering({ GetDurableExecutionCommand: throws(error), GetDurableExecutionHistoryCommand: throws(error) })
      expect(await answered(api.request("GET", `/v1/executions/${encodeExecutionId("not-an-arn")}`))).toMatchObject({ status: 404, type: "execution-not-found" })
      expect(await answered(api.request("GET", `/v1/executions/${encodeExecutionId("not-an-arn")}/history`))).toMatchObject({ status: 404 })
    }
  })

  it("refuses a callback result over the payload limit 413 without sending it, and one the service refuses as too large", async () => {
    const api = serviceAnswering({ SendDurableExecutionCallbackSuccessCommand: () => ({}) })
    const result = await answered(api.request("POST", "/v1/callbacks/cb-1/succeed", { result: { text: "x".repeat(300_000) } }))
    expect(result).toEqual({ status: 413, type: "payload-too-large", detail: "The callback result is over the 262144-byte payload limit" })
    expect(api.sent).toEqual([])
    const failed = await api.request("POST", "/v1/callbacks/cb-1/fail", { errorMessage: "y".repeat(300_000) })
    expect(failed.statusCode).toBe(413)
    expect(api.sent).toEqual([])
    const refused = serviceAnswering({ SendDurableExecutionCallbackSuccessCommand: throws(awsError("RequestTooLargeException", 413)) })
    expect((await refused.request("POST", "/v1/callbacks/cb-1/succeed", { result: "small" })).statusCode).toBe(413)
  })

  it("answers a stop the service refuses with an unnamed 404 as not found, not 503", async () => {
    const api = serviceAnswering({ StopDurableExecutionCommand: throws(awsError("SomeNewException", 404)) })
    expect(await answered(api.request("POST", `/v1/executions/${encodeExecutionId(ARN)}/stop`, {}))).toMatchObject({ status: 404, type: "execution-not-found" })
  })

  it("says an ended execution is ended when the service refuses to stop it", async () => {
    const api = serviceAnswering({ StopDurableExecutionCommand: throws(awsError("ResourceConflictException", 409)) })
    expect(await answered(api.request("POST", `/v1/executions/${encodeExecutionId(ARN)}/stop`, {}))).toEqual({
      status: 409,
      type: "execution-not-running",
      detail: `Execution ${JSON.stringify(encodeExecutionId(ARN))} is ended, not RUNNING`
    })
  })
})
