/**
 * Context misuse detection: which context (or step) the running user code belongs to. Durable operations must be
 * called on the context that owns the code calling them; a parent's or sibling's context inside a child context,
 * or any context inside a step, fails the execution with a "Context usage error" (AWS's wording).
 *
 * Where the runtime has Node's AsyncLocalStorage (Node, Deno, workerd with nodejs_compat) the owner follows the
 * code across awaits; elsewhere only synchronous misuse (before the body's first await) is caught, as in the AWS SDK.
 * It is looked up at run time, so the core imports nothing runtime-specific.
 */
import type { OperationSubType, OperationType } from "../log/events.ts"
import type { ContextCore } from "./context-core.ts"

export type Owner =
  /** `name` is the child context's operation name (for DurableLogData); the root has none. */
  | { readonly kind: "context"; readonly core: ContextCore; readonly label: string; readonly name?: string | undefined }
  /**
   * A step body or waitForCondition check. `ref` and `attempt` let a misuse that ends the execution record the
   * step as started (as AWS's history shows it) and feed DurableLogData.
   */
  | {
    readonly kind: "step"
    /** Whose step it is (a fault in code the body left behind names it: src/host/user-code.ts). */
    readonly executionId: string
    readonly name: string | undefined
    readonly id: string
    readonly ref: OperationRef
    readonly attempt: number
  }

export interface OperationRef {
  readonly id: string
  readonly parentId?: string
  readonly name?: string
  readonly type: OperationType
  readonly subType: OperationSubType
}

interface Storage<T> {
  run<R>(store: T, fn: () => R): R
  getStore(): T | undefined
}

const loadAsyncLocalStorage = (): Storage<Owner> | undefined => {
  try {
    const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => any } }).process?.getBuiltinModule
    const Als = get?.("node:async_hooks")?.AsyncLocalStorage
    return Als === undefined ? undefined : new Als()
  } catch {
    return undefined
  }
}

const als = loadAsyncLocalStorage()
const stack: Array<Owner> = []

/** Runs `fn` as code owned by `owner`. */
export const runOwned = <R>(owner: Owner, fn: () => R): R => {
  if (als !== undefined) return als.run(owner, fn)
  stack.push(owner)
  try {
    return fn()
  } finally {
    stack.pop()
  }
}

export const currentOwner = (): Owner | undefined => (als !== undefined ? als.getStore() : stack[stack.length - 1])

/**
 * Undefined when `core` may be used by the running code; otherwise AWS's message (same wording, with Reprise's
 * positional ids). `method` is the API called ("step", "wait" …).
 */
export const misuseOf = (core: ContextCore, method: string): string | undefined => {
  const owner = currentOwner()
  if (owner === undefined) return undefined
  if (owner.kind === "context" && owner.core === core) return undefined
  const expected = owner.kind === "step" ? owner.id : (owner.core.parentId ?? "root")
  const aws = `Context usage error in "${method}": You are using a parent or sibling context instead of the current child context. ` +
    `Expected context ID: "${expected}", but got: "${core.parentId}". ` +
    "When inside runInChildContext(), you must use the child context parameter, not the parent context."
  // AWS's words speak of child contexts only: from a step's body (no child context in sight) they left the user
  // guessing, so that case says what happened and what to do.
  if (owner.kind === "context") return aws
  const step = owner.name === undefined ? `step ${owner.id}` : `step "${owner.name}" (${owner.id})`
  return `${aws} Here "${method}" was called inside the body of ${step}, which is one checkpoint and cannot run durable ` +
    "operations: call them from the handler, or group them with the step's work in ctx.runInChildContext()."
}
