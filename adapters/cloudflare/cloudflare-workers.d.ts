/** The `cloudflare:workers` module, as far as this adapter uses it (see cf-types.ts). */
declare module "cloudflare:workers" {
  import type { DurableObjectState } from "./cf-types.ts"

  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: DurableObjectState
    protected readonly env: Env
    constructor(ctx: DurableObjectState, env: Env)
  }

  /** The base class of a Cloudflare Workflow (used by the benchmark only). */
  export abstract class WorkflowEntrypoint<Env = unknown, Params = unknown> {
    protected readonly ctx: unknown
    protected readonly env: Env
    constructor(ctx: unknown, env: Env)
    abstract run(event: { readonly payload: Params }, step: unknown): Promise<unknown>
  }

  /** The Worker's bindings, importable at module scope. */
  export const env: Record<string, unknown>
}
