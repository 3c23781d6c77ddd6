/**
 * The Durable Object class that hosts one execution: its actor, its log (the object's SQLite-backed storage) and its
 * alarm (waits, retries, callback and heartbeat timeouts, the watchdog, retention). The execution id is the object's
 * name, so starting an id twice reaches the same object, whose engine answers idempotently.
 */
import { DurableObject } from "cloudflare:workers"
import { Exit } from "effect"
import type { DurableFunction } from "reprise"
import type { CallbackOutcome, ChildOutcome, ExecutionObserverShape, ForkRequest, HistoryPage, StartRequest, StopOptions } from "reprise/engine"
import type { HostLogOptions } from "reprise/host"
import type { ErrorObject, LogEvent } from "reprise/store"
import type { DurableObjectState } from "./cf-types.ts"
import { callbackIdsOf, envReader, type RepriseEnv } from "./env.ts"
import { type Host, makeHost, SELF } from "./execution-host.ts"
import type { ExecutionRpc, QueueKeys } from "./execution-rpc.ts"
import { makeIndexClient } from "./index-client.ts"
import { dieWire, toWire, type Wire } from "./wire.ts"

export interface ObjectConfig {
  readonly functions: ReadonlyArray<DurableFunction>
  readonly maxPayloadBytes?: number | undefined
  readonly indexShards?: number | undefined
  readonly logging?: HostLogOptions | undefined
  readonly observer?: ExecutionObserverShape | undefined
}


const misrouted = (executionId: string, self: string): Wire<never> =>
  dieWire(`A call for execution ${executionId} reached the object of ${self}`)

/** The class's public face, written out so its declaration (.d.ts) can be emitted: an anonymous class with private members cannot be. */
export type ExecutionObjectClass = new (ctx: DurableObjectState, env: RepriseEnv) => DurableObject<RepriseEnv> & ExecutionRpc & {
  alarm(): Promise<void>
}

export const makeExecutionObject = (config: ObjectConfig): ExecutionObjectClass =>
  class ExecutionObject extends DurableObject<RepriseEnv> implements ExecutionRpc {
    #host: Host | undefined

    constructor(ctx: DurableObjectState, env: RepriseEnv) {
      super(ctx, env)
    }

    /** The object's execution id: its name (kept in storage too, for alarms where the name may be missing). */
    #self(): string | undefined {
      return this.ctx.id.name ?? this.ctx.storage.kv.get<string>(SELF)
    }

    #with<A>(executionId: string, use: (host: Host) => Promise<Wire<A>>): Promise<Wire<A>> {
      const self = this.#self() ?? executionId
      if (self !== executionId) return Promise.resolve(misrouted(executionId, self))
      this.#host ??= makeHost({
        executionId: self,
        storage: this.ctx.storage,
        functions: config.functions,
        callbackIds: callbackIdsOf(this.env),
        maxPayloadBytes: config.maxPayloadBytes,
        index: makeIndexClient(this.env.EXECUTION_INDEX, config.indexShards),
        peer: (id) => this.env.EXECUTIONS.getByName(id),
        env: envReader(this.env),
        logging: config.logging,
        observer: config.observer,
        flow: this.env.FLOW_CONTROL === undefined ? undefined : (name) => this.env.FLOW_CONTROL!.getByName(name)
      })
      return use(this.#host)
    }

    start(request: StartRequest & { readonly executionId: string }) {
      return this.#with(request.executionId, (host) => host.start(request))
    }
    startAndDescribe(request: StartRequest & { readonly executionId: string }, waitMs: number) {
      return this.#with(request.executionId, (host) => host.startAndDescribe(request, waitMs))
    }
    enqueue(request: StartRequest & { readonly executionId: string }, queue: QueueKeys) {
      return this.#with(request.executionId, (host) => host.enqueue(request, queue))
    }
    startAdmitted(request: StartRequest & { readonly executionId: string }) {
      return this.#with(request.executionId, (host) => host.startAdmitted(request))
    }
    async dequeue(executionId: string, admittedAt: number): Promise<"run" | "gone"> {
      if (this.#self() === undefined) return "gone" // nothing was ever written here
      const answer = await this.#with(executionId, async (host) => toWire(Exit.succeed(await host.dequeue(admittedAt))))
      if (answer._tag === "Failure") throw new Error(`dequeue of ${executionId} reached the object of ${this.#self()}`)
      return answer.value
    }
    replaceInput(executionId: string, request: StartRequest, notBefore: number) {
      return this.#with(executionId, (host) => host.replaceInput(request, notBefore))
    }
    async slotGranted(executionId: string): Promise<void> {
      await this.#with(executionId, async (host) => {
        await host.slotGranted()
        return toWire(Exit.void)
      })
    }
    async stepTurn(executionId: string, token: string): Promise<void> {
      await this.#with(executionId, async (host) => {
        await host.stepTurn(token)
        return toWire(Exit.void)
      })
    }

    describe(executionId: string) {
      return this.#with(executionId, (host) => host.describe())
    }
    history(executionId: string, page?: HistoryPage) {
      return this.#with(executionId, (host) => host.history(page))
    }
    summary(executionId: string) {
      return this.#with(executionId, (host) => host.summary())
    }
    awaitEnd(executionId: string, maxMs: number) {
      return this.#with(executionId, (host) => host.awaitEnd(maxMs))
    }
    stop(executionId: string, error?: ErrorObject, options?: StopOptions) {
      return this.#with(executionId, (host) => host.stop(error, options))
    }
    pause(executionId: string) {
      return this.#with(executionId, (host) => host.pause())
    }
    resume(executionId: string) {
      return this.#with(executionId, (host) => host.resume())
    }
    adopt(executionId: string, events: ReadonlyArray<LogEvent>) {
      return this.#with(executionId, (host) => host.adopt(events))
    }
    deleteExecution(executionId: string) {
      return this.#with(executionId, (host) => host.deleteExecution())
    }
    rewind(executionId: string, request: ForkRequest) {
      return this.#with(executionId, (host) => host.rewind(request))
    }
    completeCallback(executionId: string, callbackId: string, outcome: CallbackOutcome) {
      return this.#with(executionId, (host) => host.completeCallback(callbackId, outcome))
    }
    heartbeatCallback(executionId: string, callbackId: string) {
      return this.#with(executionId, (host) => host.heartbeatCallback(callbackId))
    }
    childFinished(executionId: string, operationId: string, outcome: ChildOutcome) {
      return this.#with(executionId, (host) => host.childFinished(operationId, outcome))
    }
    republish(executionId: string) {
      return this.#with(executionId, (host) => host.republish())
    }
    outcome(executionId: string) {
      return this.#with(executionId, (host) => host.outcome())
    }

    async alarm(): Promise<void> {
      const self = this.#self()
      if (self === undefined) return // nothing stored here (deleted after its retention)
      await this.#with(self, async (host) => {
        await host.alarm()
        return toWire(Exit.void)
      })
    }
  }
