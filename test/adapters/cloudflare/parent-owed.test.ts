/**
 * An ended child whose parent has not had its outcome (adapters/cloudflare/parent-owed.ts): the object owes it, and
 * refuses a delete meanwhile, since a parent that reloaded would find no child and start it anew. Over a plain map
 * as the object's KV: a parent that cannot be reached is not something workerd lets a test arrange.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { SyncKvStorage } from "../../../adapters/cloudflare/cf-types.ts"
import { NOTIFIED, parentOwed, refusedWhileParentOwed } from "../../../adapters/cloudflare/parent-owed.ts"
import { ExecutionNotEnded } from "../../../src/engine/index.ts"
import { eventKey, type ExecutionSummary } from "../../../src/store/index.ts"

const kvOf = (entries: Record<string, unknown>): SyncKvStorage => {
  const map = new Map(Object.entries(entries))
  return {
    get: <T>(key: string) => map.get(key) as T | undefined,
    put: (key, value) => void map.set(key, value),
    delete: (key) => map.delete(key),
    list: () => [...map] as Array<[string, never]>
  }
}

const started = (parent?: { executionId: string; operationId: string }) => ({
  [eventKey(1)]: { _tag: "ExecutionStarted", seq: 1, at: 1, functionName: "child", input: "1", ...(parent === undefined ? {} : { parent }) }
})
const ended: ExecutionSummary = { executionId: "order-7:invoke:3", functionName: "child", status: "SUCCEEDED", startedAt: 1, endedAt: 2 }
const parent = { executionId: "order-7", operationId: "3" }

describe("a child's outcome owed to its parent, on Durable Objects", () => {
  it("is owed once the invoked child has ended, until the parent is marked told", () => {
    assert.isTrue(parentOwed(kvOf(started(parent)), ended))
    assert.isFalse(parentOwed(kvOf({ ...started(parent), [NOTIFIED]: true }), ended))
  })

  it("is owed by nothing else: no parent, a run still going, a run that continued as new", () => {
    assert.isFalse(parentOwed(kvOf(started()), ended))
    assert.isFalse(parentOwed(kvOf(started(parent)), { executionId: ended.executionId, functionName: "child", status: "RUNNING", startedAt: 1 }))
    assert.isFalse(parentOwed(kvOf(started(parent)), { ...ended, status: "CONTINUED_AS_NEW" }))
  })

  it("refuses a delete while owed, naming the parent, and lets it through once told", async () => {
    const refused = refusedWhileParentOwed(kvOf(started(parent)), "order-7:invoke:3", ended)
    assert.isDefined(refused)
    const exit = await Effect.runPromiseExit(refused!)
    assert.isTrue(Exit.isFailure(exit))
    const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
    assert.instanceOf(error?._tag === "Fail" ? error.error : undefined, ExecutionNotEnded)
    assert.include(String(error?._tag === "Fail" ? (error.error as Error).message : ""), "its parent \"order-7\" has not had its outcome yet")
    assert.isUndefined(refusedWhileParentOwed(kvOf({ ...started(parent), [NOTIFIED]: true }), "order-7:invoke:3", ended))
    assert.isUndefined(refusedWhileParentOwed(kvOf(started(parent)), "order-7:invoke:3", undefined))
  })
})
