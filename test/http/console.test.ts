/** The console at /console, driven in process with `app.request` (the browser test drives it in Chromium). */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { generateSignedCookie } from "hono/cookie"
import { SESSION_COOKIE, safeNext } from "../../src/http/console/session.ts"
import { durable } from "../../src/index.ts"
import { type Harness, makeHarness, until } from "./http-fixture.ts"

const KEY = "operator-key"
let h: Harness | undefined
afterEach(() => h?.dispose())

const page = async (harness: Harness, path: string, headers: Record<string, string> = {}) => {
  const res = await harness.app.request(path, { headers })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

/** The login page's form token and the cookie that carries it (form-token.ts), as a browser would get them. */
const formToken = async (harness: Harness) => {
  const res = await harness.app.request("/console/login")
  const cookie = res.headers.get("set-cookie")?.split(";")[0] ?? ""
  const token = /name="form_token" value="([^"]+)"/.exec(await res.text())?.[1] ?? ""
  return { cookie, token }
}

const login = async (harness: Harness, key: string, next = "/console") => {
  const form = await formToken(harness)
  const res = await harness.app.request("/console/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: form.cookie },
    body: new URLSearchParams({ key, next, form_token: form.token }).toString()
  })
  return { res, cookie: res.headers.get("set-cookie")?.split(";")[0] ?? "" }
}

/** Base64 digits in both alphabets (base64 and base64url differ only in the last two, which this never writes). */
const DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** Rewrites the signature (after the cookie value's last '.', without '=' padding) of `name=value`. */
const alterSignature = (cookie: string, alter: (signature: string) => string): string => {
  const eq = cookie.indexOf("=")
  const value = decodeURIComponent(cookie.slice(eq + 1))
  const dot = value.lastIndexOf(".")
  const [, signature = "", padding = ""] = /^(.*?)(=*)$/.exec(value.slice(dot + 1)) ?? []
  return `${cookie.slice(0, eq + 1)}${encodeURIComponent(`${value.slice(0, dot + 1)}${alter(signature)}${padding}`)}`
}

/**
 * The signature's last character with one of its spare bits set: a 32-byte HMAC is 43 base64 characters, whose
 * last one carries 4 bits of the MAC and 2 unused ones, so this spelling decodes to the very same bytes.
 */
const spareBitsAltered = (cookie: string) =>
  alterSignature(cookie, (signature) => signature.slice(0, -1) + DIGITS[DIGITS.indexOf(signature.slice(-1)) ^ 1])

/** The signature's last character replaced by another that changes the MAC's bytes. */
const lastCharAltered = (cookie: string) =>
  alterSignature(cookie, (signature) => signature.slice(0, -1) + DIGITS[DIGITS.indexOf(signature.slice(-1)) ^ 4])

const action = (harness: Harness, path: string, json: unknown, headers: Record<string, string>) =>
  harness.app.request(`/console/api${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(json) })

const finished = (harness: Harness, executionId: string) =>
  until(async () => {
    const view = await harness.engine((e) => e.describe(executionId))
    return view.status === "RUNNING" ? undefined : view
  })

describe("the console, without an API key", () => {
  it("lists executions and shows one with its pending callback, under a strict CSP", async () => {
    const harness = h = makeHarness()
    const { callbackId, executionId } = await harness.startApproval(42)
    const list = await page(harness, "/console")
    assert.strictEqual(list.status, 200)
    assert.match(list.headers.get("content-type") ?? "", /^text\/html/)
    assert.match(list.headers.get("content-security-policy") ?? "", /script-src 'nonce-[^']+'; /)
    assert.include(list.text, `data-execution-id="${executionId}"`)
    assert.include(list.text, "auth off")

    const filtered = await page(harness, "/console?function=echo&status=RUNNING")
    assert.notInclude(filtered.text, executionId)
    // "not ended": several statuses in one filter.
    const echoed = await (await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: 1 } })).json() as { executionId: string; status: string }
    assert.strictEqual(echoed.status, "SUCCEEDED")
    const notEnded = await page(harness, "/console?status=QUEUED%2CRUNNING%2CPAUSED")
    assert.include(notEnded.text, `data-execution-id="${executionId}"`)
    assert.notInclude(notEnded.text, `data-execution-id="${echoed.executionId}"`)
    assert.include(notEnded.text, `<option value="QUEUED,RUNNING,PAUSED" selected>not ended</option>`)
    // Any list of statuses a link carries, shown as chosen.
    const either = await page(harness, "/console?status=RUNNING%2CSUCCEEDED")
    assert.include(either.text, `data-execution-id="${executionId}"`)
    assert.include(either.text, `data-execution-id="${echoed.executionId}"`)
    assert.include(either.text, "<option selected>RUNNING,SUCCEEDED</option>")
    assert.include((await page(harness, `/console?id=${executionId}`)).text, `data-execution-id="${executionId}"`)
    // An id with filters it does not meet: no row under them, and a word on why.
    const contradicted = await page(harness, `/console?id=${executionId}&status=SUCCEEDED&function=echo`)
    assert.notInclude(contradicted.text, `data-execution-id="${executionId}"`)
    assert.include(contradicted.text, `is approval, RUNNING, not function echo or status SUCCEEDED.`)
    const early = await page(harness, `/console?id=${executionId}&to=2020-01-01T00:00`)
    assert.notInclude(early.text, `data-execution-id="${executionId}"`)
    assert.include(early.text, "not started to 2020-01-01T00:00.")
    assert.include((await page(harness, `/console?id=${executionId}&input=x`)).text, "The input search does not apply to an id.")
    assert.strictEqual((await page(harness, "/console?id=no-such-id")).status, 404)

    const one = await page(harness, `/console/executions/${executionId}`)
    assert.strictEqual(one.status, 200)
    assert.include(one.text, "RUNNING")
    assert.include(one.text, callbackId!)
    assert.include(one.text, 'data-callback="manager"')
    assert.include(one.text, 'id="timeline"')
    assert.include(one.text, 'data-op-id="1"') // the "check" step's row
    assert.strictEqual((await page(harness, "/console/executions/nope")).status, 404)
    // Paused, its callback can still be completed (the completion waits for the resume): the page keeps offering it.
    assert.strictEqual((await harness.request("POST", `/v1/executions/${executionId}/pause`, { json: {} })).status, 200)
    const paused = await page(harness, `/console/executions/${executionId}`)
    assert.include(paused.text, 'data-callback="manager"')
    assert.include(paused.text, "Not yet: the execution is paused.")
    assert.include(paused.text, "waiting on callback <strong>manager</strong>")
    assert.strictEqual((await harness.request("POST", `/v1/executions/${executionId}/resume`, { json: {} })).status, 200)
    // A console page that does not exist is a page with the way back; the console's API keeps problem+json.
    const missing = await page(harness, "/console/nonexistent")
    assert.strictEqual(missing.status, 404)
    assert.match(missing.headers.get("content-type") ?? "", /^text\/html/)
    assert.include(missing.text, `<a href="/console">Back to the executions</a>`)
    const missingApi = await page(harness, "/console/api/v1/nope")
    assert.strictEqual(missingApi.status, 404)
    assert.match(missingApi.headers.get("content-type") ?? "", /problem\+json/)
  })

  it("answers 400 for a status or time filter it does not take, as the API does, rather than list everything", async () => {
    const harness = h = makeHarness()
    await harness.startApproval(1)
    for (const query of ["status=FOO", "status=RUNNING%2CDONE", "from=yesterday", "to=2026-13-01T00:00", "from=2026-02-30T10:00", "to=2026-05-01T24:00"]) {
      const answer = await page(harness, `/console?${query}`)
      assert.strictEqual(answer.status, 400, query)
      assert.include(answer.text, "Not a filter the list takes", query)
      assert.notInclude(answer.text, "data-execution-id=", `${query}: no rows`)
    }
    assert.strictEqual((await page(harness, "/console?status=RUNNING")).status, 200)
    // A range that holds no instant is refused in the form's words, not the API's (startedAfter, startedBefore).
    const swapped = await page(harness, "/console?from=2026-05-02T00:00&to=2026-05-01T00:00")
    assert.strictEqual(swapped.status, 400)
    assert.include(swapped.text, "Not a filter the list takes: from 2026-05-02T00:00 later than to 2026-05-01T00:00 (nothing starts in between).")
    assert.strictEqual((await page(harness, "/console?from=2026-05-01T00:00&to=2026-05-01T00:00")).status, 200, "to takes in its own minute")
  })

  it("shows an execution's version label in the list and on its page", async () => {
    const labelled = durable("labelled", async () => "done", { version: "2026-12-02" })
    const harness = h = makeHarness({ functions: [labelled] })
    const res = await harness.request("POST", "/v1/functions/labelled/executions?wait=5", { json: { executionName: "v-1" } })
    assert.strictEqual(res.status, 201)
    assert.include((await page(harness, "/console?function=labelled")).text, `labelled <span class="muted version">2026-12-02</span>`)
    assert.include((await page(harness, "/console/executions/v-1")).text, `<span class="muted">Version</span><span class="mono" id="version">2026-12-02</span>`)
  })

  it("filters the list by version label, as the API's ?version= does", async () => {
    const labelled = durable("labelled", async () => "done", { version: "2026-12-02" })
    const harness = h = makeHarness({ functions: [labelled] })
    assert.strictEqual((await harness.request("POST", "/v1/functions/labelled/executions?wait=5", { json: { executionName: "v-1" } })).status, 201)
    assert.strictEqual((await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: 1, executionName: "plain" } })).status, 201)
    const matching = (await page(harness, "/console?version=2026-12-02")).text
    assert.include(matching, `data-execution-id="v-1"`)
    assert.notInclude(matching, `data-execution-id="plain"`)
    assert.include(matching, `name="version" size="12" placeholder="label" value="2026-12-02"`, "the form keeps the filter")
    const other = (await page(harness, "/console?version=2025-01-01")).text
    assert.notInclude(other, `data-execution-id="v-1"`)
    assert.include((await page(harness, "/console?id=v-1&version=2025-01-01")).text, "not version 2025-01-01")
  })

  it("pages the list, newest first, and marks a finished execution's page as no longer live", async () => {
    const harness = h = makeHarness()
    for (let i = 0; i < 27; i++) {
      const res = await harness.request("POST", "/v1/functions/echo/executions", { json: { input: i, executionName: `e-${String(i).padStart(2, "0")}` } })
      assert.strictEqual(res.status, 201)
    }
    const first = await page(harness, "/console?function=echo")
    const rows = (text: string) => [...text.matchAll(/data-execution-id="([^"]+)"/g)].map((m) => m[1])
    assert.strictEqual(rows(first.text).length, 25)
    assert.include(first.text, `<div data-live="/console/live?function=echo"`)
    assert.match(first.text, /data-stream="\/console\/api\/v1\/events\?function=echo"/, "the list follows its function's lifecycle stream")
    const older = /id="older" href="([^"]+)"/.exec(first.text)?.[1]?.replace(/&amp;/g, "&")
    assert.isString(older)
    const second = await page(harness, older!)
    assert.strictEqual(rows(second.text).length, 2)
    assert.deepStrictEqual([...rows(first.text), ...rows(second.text)].sort(), Array.from({ length: 27 }, (_, i) => `e-${String(i).padStart(2, "0")}`))
    assert.notInclude(second.text, "<div data-live", "a later page holds still")
    assert.include(second.text, "« Newest")
    await until(async () => ((await harness.engine((e) => e.describe("e-00"))).status === "SUCCEEDED" ? true : undefined))
    assert.match((await page(harness, "/console/executions/e-00")).text, /<div data-live="\/console\/executions\/e-00\/live" data-version="(\d+)" data-stream="\/console\/api\/v1\/executions\/e-00\/events" data-cursor="\1" data-ended>/)
  })

  it("says a page of an input search that matched nothing is not the end of the search when older executions remain", async () => {
    const harness = h = makeHarness()
    // The one match is older than the 1,000 executions a search reads for one page (list-search.ts MAX_SCANNED).
    await harness.engine((e) => e.start({ functionName: "echo", input: "needle", executionId: "match" }))
    for (let i = 0; i < 1000; i++) await harness.engine((e) => e.start({ functionName: "echo", input: "hay", executionId: `hay-${i}` }))
    const first = await page(harness, "/console?input=needle")
    assert.strictEqual(first.status, 200)
    assert.notInclude(first.text, "No executions match.")
    assert.include(first.text, "No execution on this page matches; the search goes on in older executions (Older »).")
    const older = /id="older" href="([^"]+)"/.exec(first.text)?.[1]?.replace(/&amp;/g, "&")
    assert.isString(older)
    assert.include((await page(harness, older!)).text, `data-execution-id="match"`)
    // A search with nothing left to read says so plainly, with no Older link.
    const last = await page(harness, "/console?input=nothing-has-this&function=approval")
    assert.include(last.text, "No executions match.")
    assert.notInclude(last.text, `id="older"`)
  }, 60_000)

  it("filters as they read: \"to\" takes in its own minute, and a function no longer served shows as the one chosen", async () => {
    const harness = h = makeHarness()
    const started = await harness.request("POST", "/v1/functions/echo/executions", { json: { input: 1, executionName: "in-its-minute" } })
    assert.strictEqual(started.status, 201)
    const startedAt = (await harness.engine((e) => e.describe("in-its-minute"))).startedAt
    const minute = new Date(startedAt).toISOString().slice(0, 16) // what the datetime-local field holds
    const upTo = await page(harness, `/console?to=${encodeURIComponent(minute)}`)
    assert.include(upTo.text, `data-execution-id="in-its-minute"`, `started at ${new Date(startedAt).toISOString()}, within "to ${minute}"`)
    const before = await page(harness, `/console?to=${encodeURIComponent(new Date(startedAt - 60_000).toISOString().slice(0, 16))}`)
    assert.notInclude(before.text, `data-execution-id="in-its-minute"`)
    const gone = await page(harness, "/console?function=retired")
    assert.include(gone.text, `<option value="retired" selected>retired (not served)</option>`)
    assert.notInclude(gone.text, `<option value="" selected>`)
  })

  it("completes a callback and stops an execution through the action proxy (which needs its header)", async () => {
    const harness = h = makeHarness()
    const first = await harness.startApproval(1)
    const path = `/v1/callbacks/${encodeURIComponent(first.callbackId!)}/succeed`
    assert.strictEqual((await action(harness, path, { result: "\"yes\"" }, {})).status, 400, "no X-Reprise-Console header")
    assert.strictEqual((await action(harness, path, { result: "\"yes\"" }, { "x-reprise-console": "1" })).status, 204)
    assert.strictEqual((await finished(harness, first.executionId)).status, "SUCCEEDED")

    const second = await harness.startApproval(2)
    const stop = await action(harness, `/v1/executions/${second.executionId}/stop`, { error: { errorMessage: "no" } }, { "x-reprise-console": "1" })
    assert.strictEqual(stop.status, 200)
    assert.strictEqual((await stop.json() as { status: string }).status, "STOPPED")
    const again = await action(harness, `/v1/executions/${second.executionId}/stop`, {}, { "x-reprise-console": "1" })
    assert.strictEqual(again.status, 409, "the API's own answer comes through")
  })

  it("offers Delete on an ended execution's page only, confirmed, and deletes it through the action proxy (which needs its header)", async () => {
    const harness = h = makeHarness()
    const running = await harness.startApproval(1)
    assert.notInclude((await page(harness, `/console/executions/${running.executionId}`)).text, `id="delete"`, "not while it runs")
    await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: "secret", executionName: "erase-1" } })
    const ended = (await page(harness, "/console/executions/erase-1")).text
    const form = /<form class="filters" id="delete" data-api="([^"]+)" data-kind="delete"\s+data-done="[^"]+" data-confirm="([^"]+)">/.exec(ended)
    assert.isNotNull(form, "the ended execution's page offers Delete")
    assert.strictEqual(form![1], "/console/api/v1/executions/erase-1/delete")
    assert.match(form![2]!, /^Delete this execution now\? .*cannot be undone\.$/)
    assert.strictEqual((await action(harness, "/v1/executions/erase-1/delete", {}, {})).status, 400, "no X-Reprise-Console header")
    assert.strictEqual((await harness.request("GET", "/v1/executions/erase-1")).status, 200, "kept")
    const refused = await action(harness, `/v1/executions/${running.executionId}/delete`, {}, { "x-reprise-console": "1" })
    assert.strictEqual(refused.status, 409, "the API's own answer comes through: stop it first")
    assert.strictEqual((await action(harness, "/v1/executions/erase-1/delete", {}, { "x-reprise-console": "1" })).status, 204)
    assert.strictEqual((await page(harness, "/console/executions/erase-1")).status, 404)
    assert.notInclude((await page(harness, "/console")).text, "erase-1", "the list no longer has it")
  })

  it("offers a rewind from the start to an ended execution that recorded no operation, and it runs again", async () => {
    let calls = 0
    const badDeploy = durable("bad-deploy", async (_input: unknown, ctx) => {
      if (++calls === 1) throw new Error("missing config")
      return ctx.step("work", async () => "done")
    })
    const harness = h = makeHarness({ functions: [badDeploy] })
    await harness.request("POST", "/v1/functions/bad-deploy/executions", { json: { executionName: "bd-1" } })
    await until(async () => ((await harness.engine((e) => e.describe("bd-1"))).status === "FAILED" ? true : undefined))
    const failed = (await page(harness, "/console/executions/bd-1")).text
    const form = /<form class="filters" id="rewind-start" data-api="([^"]+)"[^>]*>\s*<input type="hidden" name="fromOperation" value="1">/.exec(failed)
    assert.isNotNull(form, "the page offers the rewind the API takes")
    assert.strictEqual(form![1], "/console/api/v1/executions/bd-1/rewind")
    assert.include(failed, "Rewind: run again from the start")
    // What the form sends (the client script posts fromOperation to data-api): the execution runs again and succeeds.
    const rewound = await harness.request("POST", "/v1/executions/bd-1/rewind", { json: { fromOperation: "1" } })
    assert.strictEqual(rewound.status, 200, await rewound.clone().text())
    await until(async () => ((await harness.engine((e) => e.describe("bd-1"))).status === "SUCCEEDED" ? true : undefined))
    assert.notInclude((await page(harness, "/console/executions/bd-1")).text, "rewind-start", "a succeeded execution has none")
  })

  it("escapes every payload: input, results and errors render as text", async () => {
    const harness = h = makeHarness()
    const evil = `</pre><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'"&`
    const res = await harness.request("POST", "/v1/functions/echo/executions?wait=5", { json: { input: { evil }, executionName: "xss-1" } })
    assert.strictEqual(res.status, 201)
    const { text } = await page(harness, "/console/executions/xss-1")
    assert.notInclude(text, "<script>window.pwned")
    assert.notInclude(text, "<img src=x")
    assert.include(text, "&lt;/pre&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=")
    assert.strictEqual(text.match(/<script/g)?.length, 1, "only the console's own script")
  })
})

describe("the console, with an API key", () => {
  it("answers 401 with a login form, and opens a session for the right key only", async () => {
    const harness = h = makeHarness({ apiKey: KEY })
    const { executionId } = await harness.startApproval()
    const anonymous = await page(harness, `/console/executions/${executionId}`)
    assert.strictEqual(anonymous.status, 401)
    assert.include(anonymous.text, 'id="login"')
    assert.notInclude(anonymous.text, executionId.slice(0, 8) + "\"", "no data without a session")

    const wrong = await login(harness, "not-the-key")
    assert.strictEqual(wrong.res.status, 401)
    assert.strictEqual(wrong.cookie, "")

    // A stale form (its token no longer matches the cookie): the login page again, not a JSON document, no session.
    const stale = await harness.app.request("/console/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ key: KEY, next: "/console", form_token: "stale" }).toString()
    })
    assert.strictEqual(stale.status, 403)
    assert.match(stale.headers.get("content-type") ?? "", /^text\/html/)
    const staleText = await stale.text()
    assert.include(staleText, "The form had expired: enter the key again.")
    assert.match(staleText, /name="form_token" value="[^"]+"/)
    assert.notInclude(stale.headers.get("set-cookie") ?? "", "reprise_console=", "no session")

    const right = await login(harness, KEY, `/console/executions/${executionId}`)
    assert.strictEqual(right.res.status, 303)
    assert.strictEqual(right.res.headers.get("location"), `/console/executions/${executionId}`)
    const setCookie = right.res.headers.get("set-cookie") ?? ""
    assert.match(setCookie, /HttpOnly/)
    assert.match(setCookie, /SameSite=Strict/)
    assert.match(setCookie, /Path=\/console/)
    assert.notInclude(setCookie, KEY, "the cookie never holds the key")

    const withSession = await page(harness, `/console/executions/${executionId}`, { cookie: right.cookie })
    assert.strictEqual(withSession.status, 200)
    assert.include(withSession.text, "Log out")

    for (const tampered of [spareBitsAltered(right.cookie), lastCharAltered(right.cookie)]) {
      assert.notStrictEqual(tampered, right.cookie)
      assert.strictEqual((await page(harness, "/console", { cookie: tampered })).status, 401, tampered)
    }
    const forged = `reprise_console=${Date.now() + 3_600_000}.${"A".repeat(43)}`
    assert.strictEqual((await page(harness, "/console", { cookie: forged })).status, 401)
  })

  it("gives the session cookie a 12-hour life, and refuses it once expired", async () => {
    const harness = h = makeHarness({ apiKey: KEY })
    const { res } = await login(harness, KEY)
    assert.match(res.headers.get("set-cookie") ?? "", /Max-Age=43200/)
    // Signed with the right key, the way the server signs (Hono's signed cookie), but with an expiry in the past.
    const expired = (await generateSignedCookie(SESSION_COOKIE, String(Date.now() - 1000), KEY)).split(";")[0]!
    assert.strictEqual((await page(harness, "/console", { cookie: expired })).status, 401)
    const fresh = (await generateSignedCookie(SESSION_COOKIE, String(Date.now() + 60_000), KEY)).split(";")[0]!
    assert.strictEqual((await page(harness, "/console", { cookie: fresh })).status, 200)
  })

  it("guards the action proxy with the session, and /v1 still needs the bearer key", async () => {
    const harness = h = makeHarness({ apiKey: KEY })
    const { executionId } = await harness.startApproval()
    const path = `/v1/executions/${executionId}/stop`
    const anonymous = await action(harness, path, {}, { "x-reprise-console": "1" })
    assert.strictEqual(anonymous.status, 401)
    assert.strictEqual(anonymous.headers.get("content-type"), "application/problem+json")
    const { cookie } = await login(harness, KEY)
    assert.strictEqual((await harness.request("POST", path, { json: {}, anonymous: true, headers: { cookie } })).status, 401, "a console cookie is no API key")
    assert.strictEqual((await action(harness, path, {}, { "x-reprise-console": "1", cookie })).status, 200)
  })

  it("redirects only to console paths after login", () => {
    assert.strictEqual(safeNext("/console/executions/x?y=1"), "/console/executions/x?y=1")
    assert.strictEqual(safeNext("/console"), "/console")
    for (const bad of ["//evil.example/console", "https://evil.example/console", "/consolex", "/v1/executions", "/console\\@evil", undefined]) {
      assert.strictEqual(safeNext(bad), "/console", String(bad))
    }
  })
})
