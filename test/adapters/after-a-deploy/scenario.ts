/**
 * What an operator can do with executions after a deploy, over a runtime's HTTP API, as test/engine/after-a-deploy
 * pins it on the in-memory engine: an execution whose function was removed can be stopped, and paused (a resume is
 * refused while the function is missing, and goes on once a deploy brings it back); one whose code no longer
 * replays can be paused without failing it, keeps a callback completed meanwhile, and finishes once the code is
 * rolled back; a callback sent to one that failed on replay is answered as not running, and rewound, that one runs
 * (and is listed) under the version label of the code deployed then, as a fork made then does. Runtime-neutral: `deploy` stops what serves
 * and serves the functions of that deploy (functions.ts) on the same store.
 */
import type { Deploy } from "./functions.ts"

/** Where a deploy serves its HTTP API. */
export interface Served {
  readonly url: string
  readonly apiKey?: string | undefined
}

/** The assertions used, which vitest's (chai) and the Deno tests' (deno-test-api.ts) both have. */
export interface Checks {
  equal<T>(actual: T, expected: T, message?: string): void
  match(actual: string, pattern: RegExp, message?: string): void
  ok(condition: unknown, message?: string): void
}

interface Reply {
  readonly status: number
  readonly body: any
}

const clientOf = (served: Served) => {
  const request = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const headers: Record<string, string> = method === "GET" ? {} : { "content-type": "application/json" }
    if (served.apiKey !== undefined) headers.authorization = `Bearer ${served.apiKey}`
    const response = await fetch(served.url + path, { method, headers, ...(method === "GET" ? {} : { body: JSON.stringify(body ?? {}) }) })
    const text = await response.text()
    return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
  }
  const execution = (id: string) => `/v1/executions/${encodeURIComponent(id)}`
  const describe = async (id: string) => (await request("GET", `${execution(id)}?operations=true`)).body
  /** Polls (at most 20 s) until the execution's view passes `check`. */
  const until = async (id: string, check: (view: any) => boolean, what: string) => {
    for (let i = 0; i < 800; i++) {
      const view = await describe(id)
      if (check(view)) return view
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error(`timed out waiting for ${id} ${what}: ${JSON.stringify(await describe(id))}`)
  }
  return {
    start: (id: string) => request("POST", "/v1/functions/approval/executions", { executionName: id }),
    stop: (id: string) => request("POST", `${execution(id)}/stop`),
    pause: (id: string) => request("POST", `${execution(id)}/pause`),
    resume: (id: string) => request("POST", `${execution(id)}/resume`),
    succeed: (callbackId: string) => request("POST", `/v1/callbacks/${encodeURIComponent(callbackId)}/succeed`, { result: "yes" }),
    history: async (id: string) => ((await request("GET", `${execution(id)}/history?limit=1000`)).body.events as Array<{ _tag: string }>).map((e) => e._tag),
    status: async (id: string) => (await describe(id)).status as string,
    /** The id of the callback the execution waits on, once it waits. */
    callbackOf: async (id: string) =>
      (await until(id, (view) => view.operations?.some((op: any) => op.name === "answer" && op.callbackId !== undefined), "to wait on its callback"))
        .operations.find((op: any) => op.name === "answer").callbackId as string,
    ended: (id: string) => until(id, (view) => !["RUNNING", "PAUSED"].includes(view.status), "to end"),
    rewind: (id: string, fromOperation: string) => request("POST", `${execution(id)}/rewind`, { fromOperation }),
    fork: (id: string, fromOperation: string) => request("POST", `${execution(id)}/fork`, { fromOperation }),
    version: async (id: string) => (await describe(id)).version as string | undefined,
    /** The ids listed under `version`, sorted, once they pass `check` (at most 20 s: a Worker's listing lags). */
    listedUnder: async (version: string, check: (ids: Array<string>) => boolean) => {
      let ids: Array<string> = []
      for (let i = 0; i < 800; i++) {
        const page = (await request("GET", `/v1/executions?function=approval&version=${version}`)).body
        ids = (page.executions as Array<{ executionId: string }>).map((e) => e.executionId).sort()
        if (check(ids)) return ids
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      return ids
    }
  }
}

export const afterADeploy = async (deploy: (functions: Deploy) => Promise<Served>, assert: Checks) => {
  // Four executions wait on their callback under the first deploy.
  let api = clientOf(await deploy("first"))
  const ids = ["removed-stopped", "removed-paused", "changed-paused", "changed-failed"] as const
  const callbacks: Record<string, string> = {}
  for (const id of ids) {
    assert.equal((await api.start(id)).status, 201)
    callbacks[id] = await api.callbackOf(id)
  }

  // The function removed: a stop ends an execution, a pause holds one, and a resume is refused while it is missing.
  api = clientOf(await deploy("removed"))
  const stopped = await api.stop("removed-stopped")
  assert.equal(stopped.status, 200, JSON.stringify(stopped.body))
  assert.equal(await api.status("removed-stopped"), "STOPPED")
  const paused = await api.pause("removed-paused")
  assert.equal(paused.status, 200, JSON.stringify(paused.body))
  const refused = await api.resume("removed-paused")
  assert.equal(refused.status, 404, JSON.stringify(refused.body))
  assert.match(refused.body?.type ?? "", /function-not-found/)
  assert.equal(await api.status("removed-paused"), "PAUSED")

  // Its step renamed, so that the executions no longer replay: a pause does not replay (nor fail) one, and keeps
  // the callback completed meanwhile; a callback sent to another, which its replay fails, is not a delivery.
  api = clientOf(await deploy("renamed"))
  const held = await api.pause("changed-paused")
  assert.equal(held.status, 200, JSON.stringify(held.body))
  assert.equal((await api.succeed(callbacks["changed-paused"]!)).status, 204)
  assert.equal(await api.status("changed-paused"), "PAUSED")
  assert.ok(!(await api.history("changed-paused")).includes("ExecutionFailed"), "a pause does not fail it")
  const late = await api.succeed(callbacks["changed-failed"]!)
  assert.equal(late.status, 409, JSON.stringify(late.body))
  assert.match(late.body?.type ?? "", /execution-not-running/)
  assert.match(late.body?.detail ?? "", /FAILED/)
  assert.equal(await api.status("changed-failed"), "FAILED")
  // Rewound to its first step, it runs this deploy's code, and its label says so (describe and the listing).
  const rewound = await api.rewind("changed-failed", "1")
  assert.equal(rewound.status, 200, JSON.stringify(rewound.body))
  const again = await api.callbackOf("changed-failed")
  assert.equal(await api.version("changed-failed"), "renamed")
  assert.equal(JSON.stringify(await api.listedUnder("renamed", (ids) => ids.length > 0)), JSON.stringify(["changed-failed"]))
  const first = await api.listedUnder("first", (ids) => !ids.includes("changed-failed"))
  assert.equal(JSON.stringify(first), JSON.stringify(["changed-paused", "removed-paused", "removed-stopped"]))
  assert.equal((await api.succeed(again)).status, 204)
  assert.equal((await api.ended("changed-failed")).status, "SUCCEEDED")
  // A fork made now runs this deploy's code too (on a Worker the fork's log is built by the Worker itself).
  const forked = await api.fork("removed-stopped", "1")
  assert.equal(forked.status, 201, JSON.stringify(forked.body))
  assert.equal(await api.version(forked.body.executionId), "renamed")
  assert.equal((await api.stop(forked.body.executionId)).status, 200)

  // The first code back: both paused executions resume and finish, the one with the answer it kept.
  api = clientOf(await deploy("first"))
  assert.equal((await api.resume("removed-paused")).status, 200)
  assert.equal((await api.succeed(callbacks["removed-paused"]!)).status, 204)
  assert.equal((await api.ended("removed-paused")).status, "SUCCEEDED")
  assert.equal((await api.resume("changed-paused")).status, 200)
  const finished = await api.ended("changed-paused")
  assert.equal(finished.status, "SUCCEEDED")
  assert.equal(JSON.stringify(finished.result), JSON.stringify({ answer: "yes" }))
  assert.equal(await api.status("removed-stopped"), "STOPPED")
}
