/**
 * What a failed call to the service means, with AWS's SDK's rules: a failure of this invocation only (throttling,
 * 5xx, network, a stale checkpoint token) is thrown, so that Lambda retries the invocation; a failure the
 * execution cannot get past (any other 4xx, a KMS key it may not use) ends it as FAILED. A custom client states
 * the scope itself with `DurableExecutionClientError`'s `scope` ("INVOCATION" | "EXECUTION").
 */

export type FailureScope = "INVOCATION" | "EXECUTION"

const KMS_ERRORS = new Set(["KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException"])

interface AwsLikeError {
  readonly name?: string
  readonly message?: string
  readonly scope?: string
  readonly isDurableExecutionClientError?: boolean
  readonly $metadata?: { readonly httpStatusCode?: number }
}

/** Whether a failed checkpoint ends this invocation (Lambda retries it) or the whole execution. */
export const classifyCheckpointError = (error: unknown): FailureScope => {
  const e = (typeof error === "object" && error !== null ? error : {}) as AwsLikeError
  if (e.isDurableExecutionClientError === true && (e.scope === "EXECUTION" || e.scope === "INVOCATION")) return e.scope
  const status = e.$metadata?.httpStatusCode
  const name = e.name ?? ""
  if (status !== undefined && status >= 400 && status < 500) {
    if (name === "InvalidParameterValueException" && (e.message ?? "").startsWith("Invalid Checkpoint Token")) return "INVOCATION"
    if (status !== 429) return "EXECUTION"
  }
  return KMS_ERRORS.has(name) ? "EXECUTION" : "INVOCATION"
}

/**
 * Reading the state (GetDurableExecutionState) has no status rule in AWS's SDK: only a client that says EXECUTION,
 * or a KMS error, fails the execution; everything else is retried.
 */
export const classifyStateError = (error: unknown): FailureScope => {
  const e = (typeof error === "object" && error !== null ? error : {}) as AwsLikeError
  if (e.isDurableExecutionClientError === true && e.scope === "EXECUTION") return "EXECUTION"
  return KMS_ERRORS.has(e.name ?? "") ? "EXECUTION" : "INVOCATION"
}

/** A failed call to the service, with its scope. */
export class CheckpointFailedError extends Error {
  override readonly name = "CheckpointFailedError"
  readonly scope: FailureScope
  constructor(message: string, scope: FailureScope, cause: unknown) {
    super(message, { cause })
    this.scope = scope
  }
}

/**
 * A checkpoint answered without a CheckpointToken: the service has taken the invocation away (another one owns the
 * execution now). This invocation applies nothing of that answer, sends nothing more and ends as PENDING.
 */
export class InvocationTakenAway extends CheckpointFailedError {
  constructor() {
    super("The service answered a checkpoint without a checkpoint token: it has taken this invocation away", "INVOCATION", undefined)
  }
}
