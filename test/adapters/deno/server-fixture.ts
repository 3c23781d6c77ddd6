/** Helpers for the Deno server tests: HTTP calls and small durable functions that count their side effects. */
import { durable } from "../../../src/index.ts"
import { sleep } from "./deno-test-api.ts"

export interface Reply {
  readonly status: number
  readonly type: string
  readonly body: any
}

export const call = async (url: string, method: string, path: string, body?: unknown): Promise<Reply> => {
  const response = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: text === "" ? undefined : JSON.parse(text) }
}

/** Side effects of the test functions, by label, kept outside any server so that they survive restarts. */
export const effects = new Map<string, number>()
export const count = (label: string) => effects.get(label) ?? 0
const record = (label: string) => void effects.set(label, count(label) + 1)

/** A step, a 1-second wait, a step (labels prefixed with the input). */
export const napping = durable("napping", async (label: string, ctx) => {
  await ctx.step("before", async () => record(`${label}:before`))
  await ctx.wait("nap", { seconds: 1 })
  await ctx.step("after", async () => record(`${label}:after`))
  return `${label} woke`
})

/** `n` steps of 60 ms each; each records its begin and its end. */
export const slowSteps = durable("slow-steps", async (input: { label: string; n: number }, ctx) => {
  let total = 0
  for (let i = 0; i < input.n; i++) {
    total += await ctx.step(`step-${i}`, async () => {
      record(`${input.label}:begin ${i}`)
      await sleep(60)
      record(`${input.label}:done ${i}`)
      return i
    })
  }
  return total
})
