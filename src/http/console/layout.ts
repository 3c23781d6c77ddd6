/**
 * The page shell: styles, the header, and the security headers every console page is sent with. A strict Content
 * Security Policy allows only this response's own inline style and script (by nonce), so even markup that slipped
 * through escaping could not run a script; every value in a page is escaped by Hono's `html` template anyway.
 */
import { Base64 } from "effect/encoding"
import type { Context } from "hono"
import { html, raw } from "hono/html"
import { CLIENT_SCRIPT } from "./client-script.ts"
import { FORM_FIELD, formToken } from "./form-token.ts"
import { ago, millis } from "./format.ts"

export type Html = ReturnType<typeof html>

const STYLE = `
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#f8f9fb;--ok:#12805c;--fail:#c0362c;--run:#2e6fd8;--pend:#b7791f;--stop:#6b7280}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.5em;background:#1d2330;color:#fff}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;letter-spacing:.02em}header .grow{flex:1}
header form{margin:0}header button{background:none;border:1px solid #fff6;color:#fff;padding:.2em .7em;border-radius:4px;cursor:pointer}
main{padding:1.2em 1.5em;max-width:1400px}h1{font-size:1.35em;margin:.2em 0 .6em;word-break:break-all}h2{font-size:1.1em;margin:1.4em 0 .5em}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}th,td{text-align:left;padding:.35em .6em;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.9em;background:#fcfcfd}td.mono,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em;word-break:break-all}
pre{background:#fff;border:1px solid var(--line);padding:.6em;overflow:auto;max-height:24em;margin:.3em 0;white-space:pre-wrap;word-break:break-word;font-size:.9em}
a{color:#2456b3}.muted{color:var(--muted)}.badge{display:inline-block;padding:0 .5em;border-radius:999px;font-size:.82em;font-weight:600;color:#fff;white-space:nowrap}
.s-ok{background:var(--ok)}.s-failed{background:var(--fail)}.s-running{background:var(--run)}.s-pending{background:var(--pend)}.s-stopped{background:var(--stop)}
.filters{display:flex;flex-wrap:wrap;gap:.6em;align-items:end;margin-bottom:1em}.filters label{display:flex;flex-direction:column;font-size:.85em;color:var(--muted)}
input,select,textarea,button{font:inherit}input,select,textarea{padding:.3em .4em;border:1px solid #c9ced6;border-radius:4px;background:#fff}
button{padding:.3em .9em;border-radius:4px;border:1px solid #2456b3;background:#2e6fd8;color:#fff;cursor:pointer}button.danger{background:var(--fail);border-color:#8f231b}button.plain{background:#fff;color:var(--fg);border-color:#c9ced6}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1em}.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8em 1em;margin-bottom:1em}
.notice{padding:.5em .8em;border-radius:4px;background:#eef4ff;border:1px solid #c7d7fe;margin:.5em 0;overflow-wrap:anywhere}.error{background:#fdecea;border-color:#f5c2bd}
.pager{display:flex;gap:1em;margin-top:.8em}.livebar{display:flex;gap:.6em;align-items:center;color:var(--muted);font-size:.88em;margin:.4em 0}
details.op{border-left:2px solid var(--line);margin:.25em 0 .25em .2em;padding-left:.7em}details.op>summary{cursor:pointer;list-style-position:outside}
details.op>summary .name{font-weight:600}.opbody{margin:.3em 0 .6em}.callback form{display:flex;flex-wrap:wrap;gap:.5em;align-items:start;margin:.4em 0}
.curl{display:flex;gap:.5em;align-items:start}.curl pre{flex:1;min-width:0;margin:.3em 0}#waiting-on ul{margin:.3em 0;padding-left:1.2em}
.callback textarea{min-width:min(22em,100%);min-height:3.2em;font-family:ui-monospace,monospace}
form.start label{display:flex;flex-direction:column;gap:.2em;margin:.3em 0}form.start textarea{width:100%;max-width:48em;font-family:ui-monospace,monospace}h3{font-size:1em;margin:1em 0 .4em}.msg{font-size:.9em;margin:.3em 0}
.tl td{padding:.15em .5em}.tl td.bar{width:62%;min-width:240px}.tl svg{display:block;width:100%;height:14px;background:#f2f4f7;border-radius:2px}
.tl .run{fill:#12805c}.tl .fail{fill:#c0362c}.tl .retry{fill:#f0b429}.tl .wait{fill:#7aa7f0}.tl .ctx{fill:#c3c9d4}.tl .mark{fill:#1d2330}
.legend span{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:middle;margin:0 .3em 0 .9em}
.legend .run{background:#12805c}.legend .fail{background:#c0362c}.legend .retry{background:#f0b429}.legend .wait{background:#7aa7f0}.legend .ctx{background:#c3c9d4}
.hscroll{overflow-x:auto;max-width:100%}td.nw,.nw{white-space:nowrap;word-break:normal}form.inline{display:inline;margin-left:.5em}
.group{margin:.4em 0;padding:.4em .6em;background:var(--bg);border:1px solid var(--line);border-radius:4px}.group .filter,.group .chosen{margin-right:.5em;text-decoration:none;white-space:nowrap}form.inline .msg{display:inline;margin-left:.4em}
@media (max-width:600px){main{padding:.8em .6em}.c-ended{display:none}header{gap:.8em;padding:.5em .6em}.tl td.bar{min-width:120px}.tl th,.tl td{padding:.15em .3em}}
${Array.from({ length: 10 }, (_, i) => `.d${i}{padding-left:${(i * 1.1).toFixed(1)}em}`).join("")}
`

const nonce = (): string => Base64.encode(crypto.getRandomValues(new Uint8Array(16)))

const SECURITY_HEADERS = (source: string): Record<string, string> => ({
  "content-security-policy":
    `default-src 'none'; style-src ${source}; script-src ${source}; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
  "x-frame-options": "DENY"
})

export interface PageOptions {
  readonly title: string
  readonly body: Html
  /**
   * "on": the app has an API key and this is a session (a logout button); "off": the app has none (says so);
   * "login": the login form, which says what it needs itself.
   */
  readonly auth: "on" | "off" | "login"
  readonly status?: 200 | 400 | 401 | 403 | 404 | 429 | 500
}

export const page = async (c: Context, options: PageOptions): Promise<Response> => {
  const n = nonce()
  const form = formToken(c)
  const document = await html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${options.title} · Reprise</title><link rel="icon" href="data:,"><style nonce="${n}">${raw(STYLE)}</style></head>
<body><header><a class="brand" href="/console">Reprise</a><a href="/console">Executions</a><a href="/console/functions">Functions</a><a href="/console/schedules">Schedules</a><span class="grow"></span>
${options.auth === "on"
    ? html`<form method="post" action="/console/logout"><input type="hidden" name="${FORM_FIELD}" value="${form.token}"><button type="submit">Log out</button></form>`
    : options.auth === "off"
    ? html`<span class="muted" title="The server runs without an API key">auth off</span>`
    : ""}
</header><main>${options.body}</main><script nonce="${n}">${raw(CLIENT_SCRIPT)}</script></body></html>`
  return new Response(document.toString(), {
    status: options.status ?? 200,
    headers: {
      ...SECURITY_HEADERS(`'nonce-${n}'`),
      "content-type": "text/html; charset=utf-8",
      ...(form.setCookie === undefined ? {} : { "set-cookie": form.setCookie })
    }
  })
}

export interface LiveOptions {
  /** Where the client asks for a fresh region (`since=<version>` is added; 204 when nothing changed). */
  readonly src: string
  /**
   * The event stream whose events say the region changed (the console's proxy of an API stream). None: the client
   * polls `src` every 2 s instead.
   */
  readonly stream?: string | undefined
  /** The seq the region shows, from which the stream goes on (an execution's; the list's stream is live only). */
  readonly cursor?: number | undefined
  /** What the region shows, as a token: the client sends it back, the server answers 204 while it holds. */
  readonly version: string
  /** An execution that has finished: nothing in the region can change, so it is not polled. */
  readonly ended?: boolean
}

/** The live region alone: what the client swaps in when something changed. */
export const liveRegion = (content: Html, options: LiveOptions): Html =>
  html`<div data-live="${options.src}" data-version="${options.version}"${options.stream === undefined ? "" : html` data-stream="${options.stream}"`}${
    options.cursor === undefined ? "" : html` data-cursor="${String(options.cursor)}"`
  }${options.ended === true ? html` data-ended` : ""}>${content}</div>`

/**
 * The live region with its toggle. With a `stream` the client script follows it and asks `src` for the region when
 * an event says something changed; without one it asks `src` every 2 s. Either way it swaps the region only when
 * it changed since `version`.
 */
export const live = (content: Html, options: LiveOptions): Html =>
  html`<div class="livebar"><label><input type="checkbox" id="live-toggle"${options.ended === true ? "" : html` checked`}> ${
    options.stream === undefined ? "Live refresh every 2 s" : "Live updates"
  }</label>
<span>updated <span id="refreshed">now</span></span></div>${liveRegion(content, options)}`

/** A region of a page on its own (the live refresh's answer), with the page's security headers. */
export const fragment = async (region: Html): Promise<Response> =>
  new Response((await region).toString(), { headers: { ...SECURITY_HEADERS("'none'"), "content-type": "text/html; charset=utf-8" } })

/** 204: the region the client holds is current. */
export const unchanged = (): Response => new Response(null, { status: 204, headers: { "cache-control": "no-store" } })

export const statusBadge = (status: string, classes: Readonly<Record<string, string>>): Html =>
  html`<span class="badge ${classes[status] ?? "s-stopped"}">${status}</span>`

/** How long ago `at` was (format.ts `ago`), with its instant in `data-at` so the client script keeps it current. */
export const relTime = (at: string | undefined, now: number): Html => {
  const ms = millis(at)
  return ms === undefined ? html`` : html`<span class="muted rel" data-at="${ms}">${ago(ms, now)}</span>`
}
