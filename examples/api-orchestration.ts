/**
 * API orchestration: a customer dashboard built from three APIs called in parallel, each call a step with its own
 * retries. When the recommendations API stays down, its branch fails and a fallback step serves the cached
 * best-sellers instead, so the dashboard still renders. The profile has no fallback: without it there is no
 * dashboard. Every call's result is checkpointed, so a crash never calls an API that already answered.
 */
import { createRetryStrategy, durable } from "reprise"

export interface Dashboard {
  profile: { readonly name: string; readonly tier: string }
  orders: ReadonlyArray<string>
  recommendations: ReadonlyArray<string>
}

/** Fake APIs that count their calls; an API in `down` answers 503 every time. */
export const fakeApis = (options: { down?: ReadonlyArray<"profile" | "orders" | "recommendations"> } = {}) => {
  const calls = { profile: 0, orders: 0, recommendations: 0, bestSellers: 0 }
  const answer = async <T>(api: "profile" | "orders" | "recommendations", value: T): Promise<T> => {
    calls[api]++
    if (options.down?.includes(api)) throw new Error(`${api} API: 503 Service Unavailable`)
    return value
  }
  return {
    calls,
    profile: (userId: string) => answer("profile", { name: `User ${userId}`, tier: "gold" }),
    orders: (userId: string) => answer("orders", [`${userId}-order-1`, `${userId}-order-2`]),
    recommendations: (userId: string) => answer("recommendations", [`for-${userId}-headphones`]),
    bestSellers: async () => { calls.bestSellers++; return ["best-seller-kettle", "best-seller-lamp"] }
  }
}
export type Apis = ReturnType<typeof fakeApis>

const retry = { retryStrategy: createRetryStrategy({ maxAttempts: 3, initialDelay: { seconds: 1 } }) }

export const makeApiOrchestration = (apis: Apis) =>
  durable("api-orchestration", async ({ userId }: { userId: string }, ctx) => {
    // Each branch returns its part of the dashboard; the three run at once.
    const calls = await ctx.parallel<Partial<Dashboard>>("call-apis", [
      { name: "profile", func: async (branch) => ({ profile: await branch.step("get-profile", () => apis.profile(userId), retry) }) },
      { name: "orders", func: async (branch) => ({ orders: await branch.step("get-orders", () => apis.orders(userId), retry) }) },
      {
        name: "recommendations",
        func: async (branch) => ({ recommendations: await branch.step("get-recommendations", () => apis.recommendations(userId), retry) })
      }
    ])
    const parts: Partial<Dashboard> = Object.assign({}, ...calls.getResults())

    // A failed branch does not fail the batch: look at each one and fall back where there is a fallback.
    const degraded: Array<string> = []
    for (const failed of calls.failed()) {
      degraded.push(failed.name!)
      if (failed.name === "recommendations") parts.recommendations = await ctx.step("fallback-best-sellers", () => apis.bestSellers())
      else if (failed.name === "orders") parts.orders = [] // shown as "no recent orders"
      else throw failed.error! // no dashboard without a profile
    }
    return { userId, ...(parts as Dashboard), degraded }
  }, { description: "API orchestration: three API calls in parallel, with a fallback when one fails" })

/** The instance `npm start` serves: its recommendations API is down. */
export const apiOrchestration = makeApiOrchestration(fakeApis({ down: ["recommendations"] }))
