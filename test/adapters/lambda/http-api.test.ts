/**
 * The HTTP API on Lambda: the Hono app behind hono/aws-lambda, its routes answered by Lambda's control plane.
 * The control plane here is AWS's local test runner (its callback API), reached through an injected client, so a
 * route completes a callback of an execution that runs under the runner with reprise/lambda.
 */
import { LocalDurableTestRunner, WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createLambdaHttpHandler, decodeExecutionId, encodeExecutionId, withDurableExecution } from "../../../adapters/lambda/index.ts"
import { apiGatewayEvent, call, type LambdaHttpResult } from "./api-gateway-event.ts"
import { setUpRunnerEnvironment, tearDownRunnerEnvironment } from "./runner-environment.ts"

/** A LambdaClient stand-in whose callback commands reach the local runner's checkpoint server. */
const runnerControlPlane = () => {
  const api = (LocalDurableTestRunner as unknown as { createDurableApi(): Record<string, (input: unknown) => Promise<unknown>> }).createDurableApi()
  const sent: Array<string> = []
  return {
    sent,
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      sent.push(command.constructor.name)
      switch (command.constructor.name) {
        case "SendDurableExecutionCallbackSuccessCommand":
          return api.sendCallbackSuccess!(command.input)
        case "SendDurableExecutionCallbackFailureCommand":
          return api.sendCallbackFailure!(command.input)
        case "SendDurableExecutionCallbackHeartbeatCommand":
          return api.sendCallbackHeartbeat!(command.input)
        default:
          throw Object.assign(new Error(`not in the local runner: ${command.constructor.name}`), { name: "UnsupportedOperation" })
      }
    }
  }
}

describe("the HTTP API on Lambda", () => {
  beforeAll(() => setUpRunnerEnvironment({ skipTime: true }))
  afterAll(() => tearDownRunnerEnvironment())

  it("completes a callback of an execution running under the local runner through POST /v1/callbacks/:id/succeed", async () => {
    let handedOut: string | undefined
    const approvals = withDurableExecution(async (event: { doc: string }, ctx) => {
      const answer = await ctx.waitForCallback("approval", async (callbackId) => {
        handedOut = callbackId
      })
      return { doc: event.doc, answer }
    })
    const client = runnerControlPlane()
    const http = createLambdaHttpHandler({ functions: { approvals: "approvals:live" }, client })

    const runner = new LocalDurableTestRunner({ handlerFunction: approvals as never })
    const running = runner.run({ payload: { doc: "d-1" } })
    await runner.getOperation("approval").waitForData(WaitingOperationStatus.SUBMITTED)
    expect(handedOut).toBeDefined()

    const response = await call(http, apiGatewayEvent("POST", `/v1/callbacks/${handedOut}/succeed`, { result: "approved by ops" }))
    expect(response.statusCode).toBe(204)
    expect(client.sent).toEqual(["SendDurableExecutionCallbackSuccessCommand"])

    const result = await running
    expect(result.getStatus()).toBe("SUCCEEDED")
    expect(result.getResult()).toEqual({ doc: "d-1", answer: "approved by ops" })
  })

  it("answers 404 for a callback the service does not know, and problem+json for routes it cannot serve", async () => {
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        throw Object.assign(new Error(`${command.constructor.name}: not found`), { name: "ResourceNotFoundException" })
      }
    }
    const http = createLambdaHttpHandler({ functions: { approvals: "approvals:live" }, client })
    const missing = await call(http, apiGatewayEvent("POST", "/v1/callbacks/nope/fail", { errorMessage: "no" }))
    expect(missing.statusCode).toBe(404)
    expect(missing.headers?.["content-type"]).toContain("application/problem+json")
    const execution = await call(http, apiGatewayEvent("GET", `/v1/executions/${encodeExecutionId("arn:aws:lambda:eu-west-1:1:function:f:1/durable-execution/x/y")}`))
    expect(execution.statusCode).toBe(404)
    const functions = await call(http, apiGatewayEvent("GET", "/v1/functions"))
    expect(JSON.parse(functions.body)).toEqual({ functions: [{ name: "approvals" }] })
    // The service keeps the history until its retention period ends and has no delete: 501, saying so.
    const deleted = await call(http, apiGatewayEvent("DELETE", `/v1/executions/${encodeExecutionId("arn:aws:lambda:eu-west-1:1:function:f:1/durable-execution/x/y")}`))
    expect(deleted.statusCode).toBe(501)
    expect(deleted.headers?.["content-type"]).toContain("application/problem+json")
    expect(JSON.parse(deleted.body)).toMatchObject({ type: "https://reprise.dev/problems/not-implemented", detail: expect.stringContaining("has no delete") })
  })

  it("keeps execution ARNs in one URL segment", () => {
    const arn = "arn:aws:lambda:us-east-1:123456789012:function:orders:live/durable-execution/o-1/5f1e"
    const id = encodeExecutionId(arn)
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeExecutionId(id)).toBe(arn)
  })

  it("maps start, describe, history, list and stop onto Lambda's control plane", async () => {
    const arn = "arn:aws:lambda:us-east-1:123456789012:function:orders:live/durable-execution/o-9/abc"
    const sent: Array<{ name: string; input: any }> = []
    const t = new Date("2026-11-26T10:00:00Z")
    const history = [
      { EventType: "ExecutionStarted", EventId: 1, Id: "exec", EventTimestamp: t },
      { EventType: "StepStarted", EventId: 2, Id: "c4ca4238a0b92382", Name: "charge", SubType: "Step", EventTimestamp: t },
      { EventType: "StepFailed", EventId: 3, Id: "c4ca4238a0b92382", Name: "charge", SubType: "Step", EventTimestamp: t,
        StepFailedDetails: { Error: { Payload: { ErrorType: "Error", ErrorMessage: "declined" } }, RetryDetails: { CurrentAttempt: 1, NextAttemptDelaySeconds: 5 } } },
      { EventType: "WaitStarted", EventId: 4, Id: "c81e728d9d4c2f63", SubType: "Wait", EventTimestamp: t, WaitStartedDetails: { Duration: 60, ScheduledEndTimestamp: new Date(t.getTime() + 60_000) } }
    ]
    const client = {
      send: async (command: { constructor: { name: string }; input: any }) => {
        sent.push({ name: command.constructor.name, input: command.input })
        switch (command.constructor.name) {
          case "ListDurableExecutionsByFunctionCommand":
            return command.input.DurableExecutionName !== undefined
              ? { DurableExecutions: [] }
              : { DurableExecutions: [{ DurableExecutionArn: arn, Status: "RUNNING", StartTimestamp: t }], NextMarker: "m2" }
          case "InvokeCommand":
            return { StatusCode: 202, DurableExecutionArn: arn }
          case "GetDurableExecutionCommand":
            return { DurableExecutionArn: arn, FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:orders:live", Status: "RUNNING", InputPayload: "{\"orderId\":\"o-9\"}", StartTimestamp: t }
          case "GetDurableExecutionHistoryCommand":
            return { Events: history }
          case "StopDurableExecutionCommand":
            return { StopTimestamp: t }
          default:
            throw new Error(command.constructor.name)
        }
      }
    }
    const http = createLambdaHttpHandler({ functions: { orders: "orders:live" }, client, apiKey: "k" })
    const withKey = (event: any) => ({ ...event, headers: { ...event.headers, authorization: "Bearer k" } })

    const started = await call(http, withKey(apiGatewayEvent("POST", "/v1/functions/orders/executions?operations=true", { input: { orderId: "o-9" }, executionName: "o-9" })))
    expect(started.statusCode).toBe(201)
    const invoke = sent.find((c) => c.name === "InvokeCommand")!.input
    expect(invoke).toMatchObject({ FunctionName: "orders:live", InvocationType: "Event", DurableExecutionName: "o-9" })
    expect(new TextDecoder().decode(invoke.Payload)).toBe(JSON.stringify({ orderId: "o-9" }))
    const view = JSON.parse(started.body)
    expect(view).toMatchObject({ executionId: encodeExecutionId(arn), functionName: "orders", status: "RUNNING", input: { orderId: "o-9" } })
    expect(view.operations.map((op: any) => `${op.type} ${op.name ?? "-"} ${op.status}`)).toEqual(["STEP charge PENDING", "WAIT - STARTED"])
    expect(view.operations[0]).toMatchObject({ attempt: 1, error: { errorMessage: "declined" } })

    const events = await call(http, withKey(apiGatewayEvent("GET", `/v1/executions/${encodeExecutionId(arn)}/history`)))
    expect(JSON.parse(events.body).events.map((e: any) => `${e.seq}:${e.EventType}`)).toEqual(["1:ExecutionStarted", "2:StepStarted", "3:StepFailed", "4:WaitStarted"])

    // `handle` sends a response once it is complete: the event stream answers as a long poll, with what there is.
    const streamed = await call(http, withKey(apiGatewayEvent("GET", `/v1/executions/${encodeExecutionId(arn)}/events`)))
    expect(streamed.statusCode).toBe(200)
    // hono/aws-lambda sends text/event-stream base64-encoded (isBase64Encoded); API Gateway decodes it for the client.
    const text = (result: LambdaHttpResult & { isBase64Encoded?: boolean }) => (result.isBase64Encoded === true ? Buffer.from(result.body, "base64").toString("utf8") : result.body)
    expect([...text(streamed).matchAll(/^id: (\d+)\nevent: (\w+)$/gm)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      "1 ExecutionStarted",
      "2 StepStarted",
      "3 StepFailed",
      "4 WaitStarted"
    ])
    const resumed = await call(http, withKey({ ...apiGatewayEvent("GET", `/v1/executions/${encodeExecutionId(arn)}/events?maxSeconds=1`), headers: { host: "api.example.com", "last-event-id": "4" } }))
    expect([resumed.statusCode, text(resumed)]).toEqual([200, ""]) // nothing new within its time: the client asks again

    const listed = await call(http, withKey(apiGatewayEvent("GET", "/v1/executions")))
    expect(JSON.parse(listed.body)).toMatchObject({ executions: [{ executionId: encodeExecutionId(arn), functionName: "orders", status: "RUNNING" }], nextCursor: "0.m2" })

    // A time range is Lambda's own StartedAfter / StartedBefore; an input search is not something it offers.
    const ranged = await call(http, withKey(apiGatewayEvent("GET", "/v1/executions?startedAfter=2026-11-26T09:00:00Z&startedBefore=2026-11-26T11:00:00.000Z")))
    expect(ranged.statusCode).toBe(200)
    expect(sent.filter((c) => c.name === "ListDurableExecutionsByFunctionCommand").at(-1)!.input).toMatchObject({
      StartedAfter: new Date("2026-11-26T09:00:00Z"),
      StartedBefore: new Date("2026-11-26T11:00:00Z")
    })
    // Several statuses are Lambda's own Statuses, less those its service never has.
    const either = await call(http, withKey(apiGatewayEvent("GET", "/v1/executions?status=RUNNING,PAUSED,SUCCEEDED")))
    expect(either.statusCode).toBe(200)
    expect(sent.filter((c) => c.name === "ListDurableExecutionsByFunctionCommand").at(-1)!.input.Statuses).toEqual(["RUNNING", "SUCCEEDED"])
    const listCalls = sent.filter((c) => c.name === "ListDurableExecutionsByFunctionCommand").length
    const never = await call(http, withKey(apiGatewayEvent("GET", "/v1/executions?status=PAUSED,QUEUED")))
    expect([never.statusCode, JSON.parse(never.body).executions]).toEqual([200, []])
    expect(sent.filter((c) => c.name === "ListDurableExecutionsByFunctionCommand").length).toBe(listCalls)
    const byInput = await call(http, withKey(apiGatewayEvent("GET", "/v1/executions?input=o-9")))
    expect([byInput.statusCode, JSON.parse(byInput.body).detail]).toEqual([400, "Lambda's durable-execution service cannot search executions by input"])
    // Its service has no end-time filter: said, rather than the start-time listing passed off as the answer.
    const byEnd = await call(http, withKey(apiGatewayEvent("GET", "/v1/executions?endedAfter=2026-11-26T10:00:00Z")))
    expect([byEnd.statusCode, JSON.parse(byEnd.body).detail]).toEqual([400, "Lambda's durable-execution service lists by start time only, not by end time"])

    const stopped = await call(http, withKey(apiGatewayEvent("POST", `/v1/executions/${encodeExecutionId(arn)}/stop`, { error: { errorMessage: "cancelled by ops" } })))
    expect(stopped.statusCode).toBe(200)
    expect(sent.find((c) => c.name === "StopDurableExecutionCommand")!.input).toEqual({ DurableExecutionArn: arn, Error: { ErrorType: "Stopped", ErrorMessage: "cancelled by ops" } })

    const unauthorised = await call(http, apiGatewayEvent("GET", "/v1/executions"))
    expect(unauthorised.statusCode).toBe(401)
  })
})
