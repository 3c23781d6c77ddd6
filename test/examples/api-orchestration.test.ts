import { assert, describe, it } from "@effect/vitest"
import { createTestRunner } from "reprise/testing"
import { fakeApis, makeApiOrchestration } from "../../examples/api-orchestration.ts"

const setup = (down: Parameters<typeof fakeApis>[0] = {}) => {
  const apis = fakeApis(down)
  const runner = createTestRunner({ functions: [makeApiOrchestration(apis)] })
  return { apis, runner }
}
const profile = { name: "User u-1", tier: "gold" }
const orders = ["u-1-order-1", "u-1-order-2"]

describe("examples/api-orchestration", () => {
  it("calls the three APIs once each, as named parallel branches, and builds the dashboard", async () => {
    const { runner, apis } = setup()
    const execution = await runner.run("api-orchestration", { userId: "u-1" })
    assert.deepStrictEqual(execution.result, { userId: "u-1", profile, orders, recommendations: ["for-u-1-headphones"], degraded: [] })
    assert.deepStrictEqual(apis.calls, { profile: 1, orders: 1, recommendations: 1, bestSellers: 0 })
    const parallel = execution.getOperation("call-apis")!
    assert.strictEqual(parallel.subType, "Parallel")
    assert.deepStrictEqual(parallel.children().map((c) => `${c.subType} ${c.name}`), [
      "ParallelBranch profile", "ParallelBranch orders", "ParallelBranch recommendations"
    ])
    await runner.dispose()
  })

  it("falls back to the cached best-sellers once the recommendations API has failed 3 times", async () => {
    const { runner, apis } = setup({ down: ["recommendations"] })
    const execution = await runner.run("api-orchestration", { userId: "u-1" })
    assert.deepStrictEqual(execution.result, {
      userId: "u-1", profile, orders, recommendations: ["best-seller-kettle", "best-seller-lamp"], degraded: ["recommendations"]
    })
    assert.deepStrictEqual(apis.calls, { profile: 1, orders: 1, recommendations: 3, bestSellers: 1 })
    assert.strictEqual(execution.getOperation("get-recommendations")?.status, "FAILED")
    assert.strictEqual(execution.getOperation("recommendations")?.status, "FAILED")
    assert.strictEqual(execution.getOperation("call-apis")?.status, "SUCCEEDED") // a failed branch is a result, not a failure
    await runner.dispose()
  })

  it("shows no orders when the orders API is down, with no fallback call", async () => {
    const { runner, apis } = setup({ down: ["orders"] })
    const execution = await runner.run("api-orchestration", { userId: "u-1" })
    assert.deepStrictEqual(execution.result, { userId: "u-1", profile, orders: [], recommendations: ["for-u-1-headphones"], degraded: ["orders"] })
    assert.deepStrictEqual(apis.calls, { profile: 1, orders: 3, recommendations: 1, bestSellers: 0 })
    await runner.dispose()
  })

  it("fails when the profile API is down: there is no fallback for it", async () => {
    const { runner, apis } = setup({ down: ["profile"] })
    const execution = await runner.run("api-orchestration", { userId: "u-1" })
    assert.strictEqual(execution.status, "FAILED")
    assert.match(execution.error?.errorMessage ?? "", /profile API: 503/)
    assert.deepStrictEqual(apis.calls, { profile: 3, orders: 1, recommendations: 1, bestSellers: 0 })
    await runner.dispose()
  })

  it("after a crash while the recommendations call waits to retry, calls no API that already answered", async () => {
    const { runner, apis } = setup({ down: ["recommendations"] })
    const execution = await runner.start("api-orchestration", { userId: "u-1" }) // idle: a retry is on a timer
    assert.deepStrictEqual(apis.calls, { profile: 1, orders: 1, recommendations: 1, bestSellers: 0 })

    await execution.evict()
    await execution.settle()

    assert.strictEqual(execution.status, "SUCCEEDED")
    assert.strictEqual(execution.invocations, 2)
    assert.deepStrictEqual(apis.calls, { profile: 1, orders: 1, recommendations: 3, bestSellers: 1 })
    await runner.dispose()
  })
})
