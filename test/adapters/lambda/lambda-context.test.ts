/**
 * `ctx.lambdaContext` and the tenant id (AWS's names) on Lambda, under AWS's local runner and beside AWS's SDK.
 * The local runner gives no tenant id, so the handler Lambda calls adds one to the context, as Lambda does for a
 * tenant-isolated function (`context.tenantId`).
 */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { describe, expect, it } from "vitest"
import { durable } from "../../../src/index.ts"
import { createTestRunner } from "../../../src/testing/index.ts"
import { type Body, type Sdk, wrap } from "./harness.ts"
import { setUpRunnerEnvironment, tearDownRunnerEnvironment } from "./runner-environment.ts"

/** What the handler reads of the invocation, on its first run (a step records it) and after a replay. */
const body: Body = async (_event, ctx) => {
  const seen: Array<unknown> = []
  ctx.configureLogger({
    customLogger: {
      configureDurableLoggingContext: (logging: { getDurableLogData: () => Record<string, unknown> }) => {
        const data = logging.getDurableLogData()
        seen.push({ tenantId: data.tenantId, requestId: typeof data.requestId === "string" && data.requestId !== "" })
      },
      debug: () => {}, info: () => {}, warn: () => {}, error: () => {}
    }
  })
  const first = await ctx.step("read", async () => ({
    functionName: ctx.lambdaContext?.functionName,
    tenantId: ctx.lambdaContext?.tenantId,
    remaining: typeof ctx.lambdaContext?.getRemainingTimeInMillis() === "number"
  }))
  await ctx.wait("between", { seconds: 5 })
  return { first, afterReplay: { functionName: ctx.lambdaContext?.functionName, tenantId: ctx.lambdaContext?.tenantId }, logging: seen[0] }
}

const runWithTenant = async (sdk: Sdk) => {
  await setUpRunnerEnvironment({ skipTime: true })
  try {
    const inner = wrap(sdk, body)
    const handler = (event: unknown, context: object) => inner(event, { ...context, tenantId: "tenant-7" })
    const result = await new LocalDurableTestRunner({ handlerFunction: handler as never }).run()
    return { status: result.getStatus(), result: result.getResult() }
  } finally {
    await tearDownRunnerEnvironment()
  }
}

describe("ctx.lambdaContext and the tenant id", () => {
  it("are Lambda's context and its tenantId, on the first run and after a replay, as under AWS's SDK", async () => {
    const aws = await runWithTenant("aws")
    const reprise = await runWithTenant("reprise")
    const expected = {
      first: { functionName: "my-function-name", tenantId: "tenant-7", remaining: true },
      afterReplay: { functionName: "my-function-name", tenantId: "tenant-7" },
      logging: { tenantId: "tenant-7", requestId: true }
    }
    expect(aws).toEqual({ status: "SUCCEEDED", result: expected })
    expect(reprise).toEqual({ status: "SUCCEEDED", result: expected })
  })

  it("are undefined off Lambda", async () => {
    const fn = durable("no-lambda", async (_: unknown, ctx) => ({ lambdaContext: ctx.lambdaContext ?? "none" }))
    const runner = createTestRunner({ functions: [fn] })
    const execution = await runner.run("no-lambda")
    expect(execution.result).toEqual({ lambdaContext: "none" })
    await runner.dispose()
  })
})
