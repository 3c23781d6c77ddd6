/**
 * reprise/otel on the Reprise Worker in workerd (Miniflare), with the real SDK bundled into the Worker: a parent
 * that invokes a child (another Durable Object, which waits and is resumed) gives each span once, every one in the
 * parent's trace and parented by derived ids across the two objects and across the resumes.
 */
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Miniflare } from "miniflare"
import { bundle, type Client, client, removeDir, startMiniflare, tempDir, untilStatus } from "./miniflare-fixture.ts"

const entry = fileURLToPath(new URL("./fixtures/otel-worker.ts", import.meta.url))
let dir: string
let mf: Miniflare
let api: Client
const output: Array<string> = []

beforeAll(async () => {
  dir = tempDir("otel")
  // The SDK's packages map their Node files to browser ones in package.json's `browser` field, which wrangler reads.
  mf = startMiniflare({ scriptPath: await bundle(entry, dir, "browser"), onLog: (log) => output.push(...log.message.split("\n")) })
  api = client(mf)
  await mf.ready
}, 30_000)

afterAll(async () => {
  await mf?.dispose()
  removeDir(dir)
})

interface Span {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parent: string | undefined
  readonly executionId: string
}
const spans = (): Array<Span> =>
  output.flatMap((line) => {
    const at = line.indexOf("otel-span ")
    return at < 0 ? [] : [JSON.parse(line.slice(at + "otel-span ".length)) as Span]
  })

describe("reprise/otel on the Worker", () => {
  it("a parent and the child it invokes: each span once, in one trace, parented across objects and resumes", async () => {
    const id = (await api.start("parent", { n: 2, tag: "otel" })).body.executionId as string
    const ended = await untilStatus(api, id, undefined, 20_000)
    assert.strictEqual(ended.status, "SUCCEEDED")
    // The runtime's output arrives a little after the response: wait (bounded) for the parent's execution span.
    for (let i = 0; i < 200 && !spans().some((s) => s.name === "execution parent"); i++) await new Promise((r) => setTimeout(r, 25))

    const all = spans()
    const byName = (name: string) => {
      const found = all.filter((s) => s.name === name)
      assert.strictEqual(found.length, 1, `one span named ${name}: ${all.map((s) => s.name).join(", ")}`)
      return found[0]!
    }
    assert.strictEqual(new Set(all.map((s) => s.spanId)).size, all.length, "no span twice")
    const root = byName("execution parent")
    assert.isUndefined(root.parent)
    assert.strictEqual(root.executionId, id)
    assert.strictEqual(byName("Step before").parent, root.spanId)
    const invoke = byName("ChainedInvoke call-child")
    assert.strictEqual(invoke.parent, root.spanId)
    const child = byName("execution child")
    assert.strictEqual(child.parent, invoke.spanId, "the child's object hangs its execution under the invoke")
    assert.strictEqual(byName("Wait think").parent, child.spanId)
    assert.strictEqual(byName("Step double").parent, child.spanId)
    assert.strictEqual(byName("Step after").parent, root.spanId, "written after the parent was resumed")
    assert.strictEqual(new Set(all.map((s) => s.traceId)).size, 1, "one trace")
    const ids = new Set(all.map((s) => s.spanId))
    for (const span of all) if (span !== root) assert.isTrue(ids.has(span.parent!), `${span.name}'s parent is exported`)
  }, 40_000)
})
