/**
 * A small in-memory stand-in for Lambda's durable-execution service, for what the local runner does not show:
 * paging of the state (NextMarker), one-use checkpoint tokens, children of finished contexts pruned from the state
 * (as GetDurableExecutionState documents), injected failures, and a record of every checkpoint call.
 */
import type {
  CheckpointRequest,
  CheckpointResponse,
  DurableExecutionClient,
  DurableInvocationInput,
  DurableLambdaHandler,
  DurableInvocationOutput,
  GetStateRequest,
  OperationUpdate,
  WireOperation
} from "../../../adapters/lambda/index.ts"

export interface FakeServiceOptions {
  /** Operations in the envelope; the rest are behind NextMarker (default: all). */
  readonly envelopeSize?: number
  readonly pageSize?: number
  /** Leave the children of finished contexts out of the state, as the service does. */
  readonly prune?: boolean
  /** Answer checkpoints without NewExecutionState. */
  readonly silentCheckpoints?: boolean
  /**
   * From this checkpoint call on (1 = the first), answer without a CheckpointToken, as the service does when it has
   * taken the invocation away, with a NewExecutionState the invocation must not apply.
   */
  readonly takeAwayAt?: number
}

export class FakeService implements DurableExecutionClient {
  readonly arn = "arn:aws:lambda:us-east-1:123456789012:function:test:1/durable-execution/run-1/0001"
  readonly operations = new Map<string, WireOperation>()
  readonly calls: Array<{ updates: Array<OperationUpdate>; token: string }> = []
  readonly stateReads: Array<string | undefined> = []
  failNext: unknown = undefined
  #token = "token-0"
  #tokens = 0
  #callbacks = 0
  readonly options: FakeServiceOptions

  constructor(input: unknown, options: FakeServiceOptions = {}) {
    this.options = options
    this.operations.set("exec", {
      Id: "exec",
      Type: "EXECUTION",
      Status: "STARTED",
      StartTimestamp: new Date(0),
      ExecutionDetails: { InputPayload: JSON.stringify(input) }
    })
  }

  #state(): Array<WireOperation> {
    const all = [...this.operations.values()]
    if (!this.options.prune) return all
    const finished = (id: string | undefined): boolean => {
      for (let at = id; at !== undefined; at = this.operations.get(at)?.ParentId) {
        const op = this.operations.get(at)
        if (op?.Type === "CONTEXT" && (op.Status === "SUCCEEDED" || op.Status === "FAILED") && !op.ContextDetails?.ReplayChildren) return true
      }
      return false
    }
    return all.filter((op) => !finished(op.ParentId))
  }

  #nextToken() {
    this.#token = `token-${++this.#tokens}`
    return this.#token
  }

  async getExecutionState(request: GetStateRequest) {
    this.stateReads.push(request.Marker)
    const state = this.#state()
    const from = Number(request.Marker ?? 0)
    const size = this.options.pageSize ?? 1000
    const next = from + size
    return { Operations: state.slice(from, next), ...(next < state.length ? { NextMarker: String(next) } : {}) }
  }

  async checkpoint(request: CheckpointRequest): Promise<CheckpointResponse> {
    if (this.failNext !== undefined) {
      const error = this.failNext
      this.failNext = undefined
      throw error
    }
    if (request.CheckpointToken !== this.#token) {
      throw Object.assign(new Error("Invalid Checkpoint Token"), { name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 } })
    }
    const updates = request.Updates ?? []
    this.calls.push({ updates, token: request.CheckpointToken })
    if (this.options.takeAwayAt !== undefined && this.calls.length >= this.options.takeAwayAt) {
      const bogus: WireOperation = { Id: "taken-away", Type: "STEP", Status: "SUCCEEDED", StepDetails: { Result: "\"not yours\"" } }
      return { NewExecutionState: { Operations: [bogus] } }
    }
    const changed = new Set<string>()
    for (const update of updates) {
      this.#apply(update)
      changed.add(update.Id)
    }
    return {
      CheckpointToken: this.#nextToken(),
      ...(this.options.silentCheckpoints ? {} : { NewExecutionState: { Operations: [...changed].map((id) => this.operations.get(id)!) } })
    }
  }

  #apply(update: OperationUpdate) {
    if (update.ParentId !== undefined && this.operations.get(update.ParentId)?.Type !== "CONTEXT") {
      throw Object.assign(new Error("Invalid parent operation id."), { name: "InvalidParameterValueException", $metadata: { httpStatusCode: 400 } })
    }
    let op = this.operations.get(update.Id)
    if (op === undefined) {
      op = { Id: update.Id, ParentId: update.ParentId, Name: update.Name, Type: update.Type, SubType: update.SubType, Status: "STARTED", StartTimestamp: new Date() }
      this.operations.set(update.Id, op)
      if (update.Type === "CALLBACK") op.CallbackDetails = { CallbackId: `cb-${++this.#callbacks}` }
      if (update.Type === "WAIT") op.WaitDetails = { ScheduledEndTimestamp: new Date(Date.now() + (update.WaitOptions?.WaitSeconds ?? 0) * 1000) }
    }
    const attempt = op.StepDetails?.Attempt ?? 0
    switch (update.Action) {
      case "START":
        if (op.Type === "STEP") op.Status = "STARTED"
        break
      case "SUCCEED":
      case "FAIL": {
        op.Status = update.Action === "SUCCEED" ? "SUCCEEDED" : "FAILED"
        op.EndTimestamp = new Date()
        if (op.Type === "STEP") op.StepDetails = { Attempt: attempt + 1, Result: update.Payload, Error: update.Error }
        if (op.Type === "CONTEXT") op.ContextDetails = { Result: update.Payload, Error: update.Error, ReplayChildren: update.ContextOptions?.ReplayChildren }
        break
      }
      case "RETRY":
        op.Status = "PENDING"
        op.StepDetails = {
          Attempt: attempt + 1,
          Result: update.Payload,
          Error: update.Error,
          NextAttemptTimestamp: new Date(Date.now() + (update.StepOptions?.NextAttemptDelaySeconds ?? 0) * 1000)
        }
        break
    }
  }

  /** What the service does when time passes: waits end, retries become due. */
  passTime() {
    for (const op of this.operations.values()) {
      if (op.Type === "WAIT" && op.Status === "STARTED") {
        op.Status = "SUCCEEDED"
        op.EndTimestamp = new Date()
      }
      if (op.Type === "STEP" && op.Status === "PENDING") op.Status = "READY"
    }
  }

  completeCallback(callbackId: string, result: string) {
    const op = [...this.operations.values()].find((o) => o.CallbackDetails?.CallbackId === callbackId)
    if (op === undefined) throw new Error(`no callback ${callbackId}`)
    op.Status = "SUCCEEDED"
    op.EndTimestamp = new Date()
    op.CallbackDetails = { ...op.CallbackDetails, Result: result }
  }

  envelope(): DurableInvocationInput {
    const state = this.#state()
    const size = this.options.envelopeSize ?? state.length
    return {
      DurableExecutionArn: this.arn,
      CheckpointToken: this.#nextToken(),
      InitialExecutionState: { Operations: state.slice(0, size), ...(size < state.length ? { NextMarker: String(size) } : {}) }
    }
  }

  invoke(handler: DurableLambdaHandler): Promise<DurableInvocationOutput> {
    return handler(this.envelope(), {})
  }

  byName(name: string): WireOperation | undefined {
    return [...this.operations.values()].find((op) => op.Name === name)
  }
}
