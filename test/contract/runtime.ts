/** What a runtime gives the contract suite: where its HTTP API is, its key, and how to crash and restart it. */

/** An execution started by the runtime's own means, where its HTTP API cannot start one (Lambda). */
export interface ExternalExecution {
  readonly callbackId: string
  /** Waits until the execution has ended. */
  readonly ended: () => Promise<{ readonly status: string; readonly result?: unknown }>
}

export interface ContractRuntime {
  /** The API's base URL, read on every request: a restart may move the port. */
  readonly url: () => string
  /** The API key the management routes require (every contract runtime sets one). */
  readonly apiKey: string
  /**
   * Crashes the runtime and starts it again on the same store, returning once it serves. Undefined where the
   * runtime has no store of its own to restart on.
   */
  readonly restart?: () => Promise<void>
  /**
   * Starts `contract-approval` outside the HTTP API and hands back its callback id. Only for runtimes whose API
   * cannot start or describe executions (Lambda under AWS's local runner, whose control plane answers the
   * callback calls only).
   */
  readonly startAwaitingCallback?: (label: string) => Promise<ExternalExecution>
  readonly close: () => Promise<void>
}
