/**
 * Context misuse detection: which context (or step) the running user code belongs to. Durable operations must be
 * called on the context that owns the code calling them; a parent's or sibling's context inside a child context,
 * or any context inside a step, fails the execution with a "Context usage error".
 *
 * Where the runtime has Node's AsyncLocalStorage (Node, Deno, workerd with nodejs_compat) the owner follows the
 * code across awaits; elsewhere only synchronous misuse (before the body's first await) is caught, as in the AWS SDK.
 * It is looked up at run time, so the core imports nothing runtime-specific.
 */
import type { ContextCore } from "./context-core.ts"

export type Owner =
  | { readonly kind: "context"; readonly core: ContextCore; readonly label: string }
  /** `name ?? id` names the step in messages; no label is built on the hot path. */
  | { readonly kind: "step"; readonly name: string | undefined; readonly id: string }

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

/** Undefined when `core` may be used by the running code; otherwise what is wrong, for the error message. */
export const misuseOf = (core: ContextCore, label: (core: ContextCore) => string): string | undefined => {
  const owner = currentOwner()
  if (owner === undefined) return undefined
  if (owner.kind === "step") {
    return `Context usage error: a durable operation was called on ${label(core)} inside step ${JSON.stringify(owner.name ?? owner.id)}. ` +
      "Steps cannot contain durable operations; use runInChildContext to group them."
  }
  if (owner.core === core) return undefined
  return `Context usage error: a durable operation was called on ${label(core)} from code running in ${owner.label}. ` +
    "You are using a parent or sibling context; use the context passed to this child context instead."
}
