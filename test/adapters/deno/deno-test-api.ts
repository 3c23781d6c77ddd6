/**
 * The Deno test APIs the Deno tests use, typed here so that the project's tsc (Node typings) checks these files too.
 * These files run only under `deno test` (see deno.test.ts), never under vitest (their names do not end in .test.ts).
 */
import { Cause, Effect, Exit } from "effect"
import { canonical } from "../../../src/store/conformance-checks.ts"
import type { DenoNamespace } from "../../../adapters/deno/deno-api.ts"

export interface TestDefinition {
  readonly name: string
  readonly fn: () => Promise<void> | void
  readonly sanitizeOps?: boolean
  readonly sanitizeResources?: boolean
}

export interface ChildProcess {
  readonly pid: number
  readonly stdout: ReadableStream<Uint8Array>
  readonly stderr: ReadableStream<Uint8Array>
  readonly status: Promise<{ readonly success: boolean; readonly code: number; readonly signal: string | null }>
  kill(signal?: "SIGKILL" | "SIGTERM"): void
}

export interface DenoTestNamespace extends DenoNamespace {
  test(definition: TestDefinition): void
  makeTempDir(options?: { readonly prefix?: string }): Promise<string>
  remove(path: string, options?: { readonly recursive?: boolean }): Promise<void>
  readTextFile(path: string): Promise<string>
  copyFile(from: string, to: string): Promise<void>
  stat(path: string): Promise<unknown>
  writeTextFileSync(path: string, data: string, options?: { readonly append?: boolean }): void
  readonly args: ReadonlyArray<string>
  readonly env: { get(key: string): string | undefined; set(key: string, value: string): void; delete(key: string): void }
  execPath(): string
  connect(options: { readonly hostname: string; readonly port: number }): Promise<{
    write(data: Uint8Array): Promise<number>
    read(buffer: Uint8Array): Promise<number | null>
    close(): void
  }>
  readonly Command: new (command: string, options: {
    readonly args: ReadonlyArray<string>
    readonly stdout?: "piped" | "null" | "inherit"
    readonly stderr?: "piped" | "null" | "inherit"
    readonly stdin?: "piped" | "null" | "inherit"
    readonly env?: Record<string, string>
    readonly cwd?: string
  }) => { spawn(): ChildProcess }
}

export const Deno = (globalThis as unknown as { Deno: DenoTestNamespace }).Deno

/** Runs an Effect; a failure is thrown with its pretty cause, so deno test prints what went wrong. */
export const runEffect = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(Cause.pretty(exit.cause))
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Polls until `check` holds, every 20 ms, for at most `ms`; throws naming `what` otherwise. */
export const until = async (check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(20)
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/** A fresh temporary directory, removed by the returned cleanup. */
export const tempDir = async (prefix: string) => {
  const dir = await Deno.makeTempDir({ prefix })
  return { dir, remove: () => Deno.remove(dir, { recursive: true }).catch(() => undefined) }
}

/** Assertions (node:assert would pull @types/node into deno's type check). Deep equality ignores key order. */
export interface Assert {
  ok(condition: unknown, message?: string): asserts condition
  equal<T>(actual: T, expected: T, message?: string): void
  deepEqual(actual: unknown, expected: unknown, message?: string): void
  match(actual: string, pattern: RegExp, message?: string): void
  atLeast(actual: number, floor: number, message?: string): void
  atMost(actual: number, ceiling: number, message?: string): void
}

export const assert: Assert = {
  ok(condition: unknown, message = "expected a truthy value"): asserts condition {
    if (!condition) throw new Error(message)
  },
  equal<T>(actual: T, expected: T, message?: string): void {
    if (!Object.is(actual, expected)) {
      throw new Error(`${message ?? "not equal"}: expected ${String(expected)}, got ${String(actual)}`)
    }
  },
  deepEqual(actual: unknown, expected: unknown, message?: string): void {
    const a = canonical(actual)
    const e = canonical(expected)
    if (a !== e) throw new Error(`${message ?? "not deeply equal"}:\n  expected ${e.slice(0, 2000)}\n  got      ${a.slice(0, 2000)}`)
  },
  match(actual: string, pattern: RegExp, message?: string): void {
    if (!pattern.test(actual)) throw new Error(`${message ?? "no match"}: ${JSON.stringify(actual)} does not match ${pattern}`)
  },
  atLeast(actual: number, floor: number, message?: string): void {
    if (!(actual >= floor)) throw new Error(`${message ?? "too small"}: expected at least ${floor}, got ${actual}`)
  },
  atMost(actual: number, ceiling: number, message?: string): void {
    if (!(actual <= ceiling)) throw new Error(`${message ?? "too large"}: expected at most ${ceiling}, got ${actual}`)
  }
}
