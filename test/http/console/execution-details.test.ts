/**
 * The execution page's details (execution-page.ts, error-view.ts, waiting-on.ts): a failure's stack and causes,
 * what a running execution waits on, a pending callback's ready curl line, which is run against the API, and an
 * operation run again after a rewind.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { durable } from "../../../src/index.ts"
import { type Harness, makeHarness, until } from "../http-fixture.ts"

let h: Harness | undefined
afterEach(() => h?.dispose())

const failing = durable("failing", async (_input: unknown, ctx) => {
  await ctx.step("charge", async () => {
    const low = new TypeError("card <declined> & \"expired\"")
    throw new Error("payment <failed>", { cause: low })
  }, { retryStrategy: () => ({ shouldRetry: false }) })
})
const sleeper = durable("sleeper", async (_input: unknown, ctx) => {
  await ctx.wait("nap", { minutes: 3, seconds: 30 })
  return "rested"
})
const flaky = durable("flaky", async (_input: unknown, ctx) =>
  ctx.step("fetch", async () => {
    throw new Error("not yet")
  }, { retryStrategy: () => ({ shouldRetry: true, delay: { minutes: 5 } }) }))
const parent = durable("parent", async (_input: unknown, ctx) => ctx.invoke("kid", "sleeper", {}))
/** Step "second" throws while this is set (the bug a fix deploys away before the rewind). */
const secondBroken = { on: true }
const twoSteps = durable("two-steps", async (_input: unknown, ctx) => {
  await ctx.step("first", async () => 1)
  return ctx.step("second", async () => {
    if (secondBroken.on) throw new Error("second is broken")
    return 2
  }, { retryStrategy: () => ({ shouldRetry: false }) })
})

const functions = [failing, sleeper, flaky, parent, twoSteps]

const page = async (harness: Harness, executionId: string) => (await harness.app.request(`/console/executions/${executionId}`)).text()

const start = async (harness: Harness, name: string, executionName: string) => {
  const res = await harness.request("POST", `/v1/functions/${name}/executions`, { json: { input: {}, executionName } })
  assert.strictEqual(res.status, 201)
}

/** Waits until the execution's page shows `pattern` (the engine runs the execution in the background). */
const pageShowing = (harness: Harness, executionId: string, pattern: RegExp) =>
  until(async () => {
    await harness.engine((e) => e.settle(executionId))
    const text = await page(harness, executionId)
    return pattern.test(text) ? text : undefined
  })

/** Unescapes the few entities Hono's html template writes. */
const unescape = (text: string) =>
  text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&#39;/g, "'").replace(/&amp;/g, "&")

describe("the console's execution page", () => {
  it("shows a failure's stack trace (the user's file and line) and its cause chain, escaped", async () => {
    const harness = h = makeHarness({ functions })
    await start(harness, "failing", "fail-1")
    const text = await pageShowing(harness, "fail-1", /id="error"/)
    const stories = [...text.matchAll(/<pre class="payload error-story"[^>]*>([^<]*)<\/pre>/g)].map((m) => m[1]!)
    assert.isAtLeast(stories.length, 2, "the execution's error and the failed step's")
    for (const story of stories) {
      assert.include(story, "Error: payment &lt;failed&gt;")
      assert.match(story, /\n {4}at .*execution-details\.test\.ts:\d+:\d+/, "a frame of this file")
      assert.include(story, "\nCaused by TypeError: card &lt;declined&gt; &amp; &quot;expired&quot;")
    }
    assert.notInclude(text, "<declined>")
  })

  it("says what a running execution waits on: a timer, a retry, a callback, a child", async () => {
    const harness = h = makeHarness({ functions })
    await start(harness, "sleeper", "sleep-1")
    const sleeping = await pageShowing(harness, "sleep-1", /id="waiting-on"/)
    const nap = /sleeping until <span title="([^"]+) UTC">(\d\d:\d\d) UTC<\/span> <span class="muted">\(<span class="rel" data-at="\d+">in 3 min<\/span>\)/
      .exec(sleeping)
    assert.isNotNull(nap, "sleeping until HH:MM (in 3 min)")
    assert.strictEqual(nap![1]!.slice(11, 16), nap![2])

    await start(harness, "flaky", "flaky-1")
    assert.match(await pageShowing(harness, "flaky-1", /retrying/), /retrying <strong>fetch<\/strong> at <span title="[^"]+">\d\d:\d\d UTC<\/span> <span class="muted">\(<span class="rel" data-at="\d+">in [45] min</)

    const { executionId } = await harness.startApproval(3)
    assert.include(await page(harness, executionId), "waiting on callback <strong>manager</strong>")

    await start(harness, "parent", "parent-1")
    const child = await pageShowing(harness, "parent-1", /waiting on child <a/)
    const childId = /waiting on child <a class="mono" href="\/console\/executions\/([^"]+)">/.exec(child)?.[1]
    assert.isString(childId)
    const childView = await harness.engine((e) => e.describe(decodeURIComponent(childId!)))
    assert.strictEqual(childView.functionName, "sleeper")
  })

  it("says nothing about waiting once the execution has ended", async () => {
    const harness = h = makeHarness({ functions })
    await start(harness, "failing", "fail-2")
    const text = await pageShowing(harness, "fail-2", /id="error"/)
    assert.notInclude(text, 'id="waiting-on"')
  })

  it("gives a pending callback a curl line that completes it, and a copy button for it", async () => {
    const harness = h = makeHarness()
    const { callbackId, executionId } = await harness.startApproval(7)
    const text = await page(harness, executionId)
    const pre = /<pre class="mono curl-line" id="(curl-[^"]+)">([^<]+)<\/pre><button type="button" class="plain copy" data-copy="([^"]+)">Copy<\/button>/
      .exec(text)
    assert.isNotNull(pre)
    assert.strictEqual(pre![3], pre![1], "the button copies the line")
    const curl = unescape(pre![2]!)
    // curl -X POST '<url>' -H 'content-type: application/json' -d '<body>'
    const parts = /^curl -X POST '([^']+)' -H 'content-type: application\/json' -d '([^']+)'$/.exec(curl)
    assert.isNotNull(parts, curl)
    const url = new URL(parts![1]!)
    assert.strictEqual(url.origin, "http://localhost")
    assert.strictEqual(decodeURIComponent(url.pathname), `/v1/callbacks/${callbackId}/succeed`)
    const res = await harness.app.request(url.pathname, { method: "POST", headers: { "content-type": "application/json" }, body: parts![2]! })
    assert.strictEqual(res.status, 204)
    const view = await until(async () => {
      await harness.engine((e) => e.settle(executionId))
      const v = await harness.engine((e) => e.describe(executionId))
      return v.status === "RUNNING" ? undefined : v
    })
    assert.strictEqual(view.status, "SUCCEEDED")
    assert.deepStrictEqual(JSON.parse(view.result!), { amount: 7, answer: "{\"ok\":true}" })
  })

  it("after a rewind shows an operation's run since the rewind, not mixed with the attempts it forgot", async () => {
    const harness = h = makeHarness({ functions })
    secondBroken.on = true
    await start(harness, "two-steps", "rewound-1")
    await pageShowing(harness, "rewound-1", /id="error"/)
    secondBroken.on = false
    const rewound = await harness.request("POST", "/v1/executions/rewound-1/rewind", { json: { fromOperation: "2" } })
    assert.strictEqual(rewound.status, 200)
    const text = await pageShowing(harness, "rewound-1", /id="rewinds"/)
    assert.strictEqual((await harness.engine((e) => e.describe("rewound-1"))).status, "SUCCEEDED")
    // The timeline row: one green bar, the attempt since the rewind; no red bar of the forgotten failure.
    const row = /<tr data-op-id="2">([\s\S]*?)<\/tr>/.exec(text)?.[1]
    assert.isString(row)
    assert.deepStrictEqual([...row!.matchAll(/<rect class="(\w+)"/g)].map((m) => m[1]), ["run"])
    // The operation's body: no attempt table (one attempt, which succeeded), and a note that it ran again.
    const body = /<details class="op" data-op="2"[\s\S]*?<\/details>/.exec(text)?.[0]
    assert.isString(body)
    assert.notInclude(body!, 'class="attempts"')
    assert.notInclude(body!, "second is broken")
    assert.match(body!, /Run again after the rewind at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z: the attempts before it are in the history/)
    // The history still has every event, the forgotten failure included.
    assert.include(/id="history"[\s\S]*$/.exec(text)![0], "second is broken")
  })
})
