/**
 * The console reads and acts only through the app's own JSON API (`app.request`, in process, no network), with the
 * configured API key: it sees exactly what an API client sees, and the API stays the one place that decides.
 */
import type { Hono } from "hono"
import type { LogEvent } from "../../log/events.ts"
import type { ScheduleJson } from "../schedule-routes.ts"
import type { ExecutionJson, ExecutionWithOperationsJson, SummaryJson } from "../views.ts"

export interface Problem {
  readonly status: number
  readonly title: string
  readonly detail: string
}

export type ApiResult<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly problem: Problem }

/** What the list can be searched by (the API's own query parameters). */
export interface ListFilters {
  readonly function?: string
  readonly status?: string
  /** ISO 8601 times. */
  readonly startedAfter?: string
  readonly startedBefore?: string
  readonly endedAfter?: string
  readonly endedBefore?: string
  /** Text the input contains. */
  readonly input?: string
  /** The version label the execution was started under. */
  readonly version?: string
}

export interface ListPage {
  readonly executions: ReadonlyArray<SummaryJson>
  readonly nextCursor?: string
}

export interface History {
  readonly events: ReadonlyArray<LogEvent>
  /** True when the history was longer than the console reads (MAX_HISTORY_EVENTS). */
  readonly truncated: boolean
  /** The seq of the log's last event (read even when the events are truncated). */
  readonly lastSeq: number
}

/** The most events the execution page reads (pages of 1000). */
export const MAX_HISTORY_EVENTS = 20_000

export interface ConsoleApi {
  functions(): Promise<ApiResult<ReadonlyArray<{ readonly name: string; readonly description?: string }>>>
  /** The server's schedules (none where the runtime has no scheduler). */
  schedules(): Promise<ApiResult<ReadonlyArray<ScheduleJson>>>
  list(query: ListFilters & { cursor?: string; limit?: number }): Promise<ApiResult<ListPage>>
  /** The execution with its operations (the execution page draws them). */
  execution(executionId: string): Promise<ApiResult<ExecutionWithOperationsJson>>
  /** The execution's summary and operation counts, without its operations. */
  summary(executionId: string): Promise<ApiResult<ExecutionJson>>
  history(executionId: string): Promise<ApiResult<History>>
  /** Whether the log has an event after `seq` (one event read, not the history). */
  changedSince(executionId: string, seq: number): Promise<ApiResult<boolean>>
  /**
   * A GET of one of the API's Server-Sent Events streams (the console's live updates), with the API key and the
   * client's `Last-Event-ID`; the answer is the API's own, streamed as it comes.
   */
  stream(path: string, lastEventId: string | undefined): Promise<Response>
  /** Forwards a request to the API as it is (the console's action proxy), adding the API key. */
  forward(method: string, path: string, body: string | undefined, contentType: string | undefined): Promise<Response>
}

const problemOf = async (response: Response): Promise<Problem> => {
  const text = await response.text()
  try {
    const body = JSON.parse(text) as { title?: unknown; detail?: unknown }
    return {
      status: response.status,
      title: typeof body.title === "string" ? body.title : response.statusText,
      detail: typeof body.detail === "string" ? body.detail : ""
    }
  } catch {
    return { status: response.status, title: response.statusText || `HTTP ${response.status}`, detail: text.slice(0, 200) }
  }
}

export const makeConsoleApi = (app: Hono, apiKey: string | undefined): ConsoleApi => {
  const auth: Record<string, string> = apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }

  const get = async <A>(path: string): Promise<ApiResult<A>> => {
    const response = await app.request(path, { headers: auth })
    return response.ok ? { ok: true, value: await response.json() as A } : { ok: false, problem: await problemOf(response) }
  }
  const executionPath = (id: string) => `/v1/executions/${encodeURIComponent(id)}`

  return {
    functions: async () => {
      const result = await get<{ functions: ReadonlyArray<{ name: string; description?: string }> }>("/v1/functions")
      return result.ok ? { ok: true, value: result.value.functions } : result
    },
    schedules: async () => {
      const result = await get<{ schedules: ReadonlyArray<ScheduleJson> }>("/v1/schedules")
      return result.ok ? { ok: true, value: result.value.schedules } : result
    },
    list: (query) => {
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
      const search = params.toString()
      return get<ListPage>(`/v1/executions${search === "" ? "" : `?${search}`}`)
    },
    execution: (id) => get<ExecutionWithOperationsJson>(`${executionPath(id)}?operations=true`),
    summary: (id) => get<ExecutionJson>(executionPath(id)),
    history: async (id) => {
      const events: Array<LogEvent> = []
      let cursor: string | undefined
      do {
        const page = await get<{ events: ReadonlyArray<LogEvent>; nextCursor?: string }>(
          `${executionPath(id)}/history?limit=1000${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`
        )
        if (!page.ok) return page
        events.push(...page.value.events)
        cursor = page.value.nextCursor
      } while (cursor !== undefined && events.length < MAX_HISTORY_EVENTS)
      let lastSeq = events.at(-1)?.seq ?? 0
      // Truncated: read on to the last seq (the live refresh's version), keeping no more events.
      while (cursor !== undefined) {
        const page = await get<{ events: ReadonlyArray<LogEvent>; nextCursor?: string }>(`${executionPath(id)}/history?limit=1000&cursor=${encodeURIComponent(cursor)}`)
        if (!page.ok) return page
        lastSeq = page.value.events.at(-1)?.seq ?? lastSeq
        cursor = page.value.nextCursor
      }
      return { ok: true, value: { events, truncated: lastSeq !== (events.at(-1)?.seq ?? 0), lastSeq } }
    },
    changedSince: async (id, seq) => {
      const page = await get<{ events: ReadonlyArray<LogEvent> }>(`${executionPath(id)}/history?limit=1&cursor=${seq}`)
      return page.ok ? { ok: true, value: page.value.events.length > 0 } : page
    },
    stream: async (path, lastEventId) =>
      app.request(path, { headers: { ...auth, accept: "text/event-stream", ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId }) } }),
    forward: async (method, path, body, contentType) =>
      app.request(path, { method, headers: { ...auth, ...(contentType === undefined ? {} : { "content-type": contentType }) }, ...(body === undefined ? {} : { body }) })
  }
}
