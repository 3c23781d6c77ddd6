/**
 * Runs one handler body under AWS's local test runner twice: wrapped by AWS's SDK and by reprise/lambda, each in
 * a fresh test environment (its own fake clock and checkpoint server, so a time skip in one run cannot leak into
 * the next), and reduces each run to what the two must agree on: status, result, error, and the operation tree by
 * (type, subType, name, status). Wire ids are compared too: both SDKs hash the same positional ids.
 */
import { withDurableExecution as awsWithDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner, type TestResult } from "@aws/durable-execution-sdk-js-testing"
import { withDurableExecution } from "../../../adapters/lambda/index.ts"
import { setUpRunnerEnvironment, tearDownRunnerEnvironment } from "./runner-environment.ts"

export type Sdk = "aws" | "reprise"
export type Body = (event: any, ctx: any) => Promise<any>

export interface OperationNode {
  readonly type: string | undefined
  readonly subType: string | undefined
  readonly name: string | undefined
  readonly status: string | undefined
  readonly children: ReadonlyArray<OperationNode>
}

export interface RunOutcome {
  readonly status: string | undefined
  readonly result: unknown
  readonly error: { readonly errorType: string | undefined; readonly errorMessage: string | undefined } | undefined
  readonly tree: ReadonlyArray<OperationNode>
  /** Wire id, parent wire id, type, name: the exact placement of every operation. */
  readonly ids: ReadonlyArray<string>
  readonly invocations: number
  readonly events: ReadonlyArray<string>
  readonly elapsedMs: number
}

export interface RunOptions {
  readonly payload?: unknown
  /** Called with the running runner (callbacks, waits for operations); the run is awaited after it. */
  readonly drive?: (runner: LocalDurableTestRunner, sdk: Sdk) => Promise<void>
  /** Registers invoke targets before the run. */
  readonly register?: (runner: LocalDurableTestRunner, sdk: Sdk) => void
  /** The runner's time skipping (default true); off, waits take real time and timers are not faked. */
  readonly skipTime?: boolean
}

/** Real time: the runner fakes the clock (performance.now included) while it runs. */
const realNow = performance.now.bind(performance)

export const wrap = (sdk: Sdk, body: Body): any => (sdk === "aws" ? awsWithDurableExecution(body) : withDurableExecution(body))

export const runUnder = async (sdk: Sdk, body: Body, options: RunOptions = {}): Promise<RunOutcome> => {
  await setUpRunnerEnvironment({ skipTime: options.skipTime ?? true })
  const started = realNow()
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: wrap(sdk, body) })
    options.register?.(runner, sdk)
    const running = runner.run(options.payload === undefined ? undefined : { payload: options.payload })
    if (options.drive !== undefined) await options.drive(runner, sdk)
    const result = await running
    return outcomeOf(result, realNow() - started)
  } finally {
    await tearDownRunnerEnvironment()
  }
}

/** The same body under both SDKs, AWS's first. `makeBody` is called once per run (fresh closure state). */
export const runBoth = async (makeBody: () => Body, options: RunOptions = {}) => {
  const both = { aws: await runUnder("aws", makeBody(), options), reprise: await runUnder("reprise", makeBody(), options) }
  if (process.env.REPRISE_LAMBDA_DEBUG) {
    for (const [sdk, run] of Object.entries(both)) {
      const { tree, events, ...rest } = run
      console.log(`--- ${sdk}: ${JSON.stringify(rest)}\n${outline(tree)}${events.join(" ")}`)
    }
  }
  return both
}

const outcomeOf = (result: TestResult<unknown>, elapsedMs: number): RunOutcome => {
  const status = result.getStatus()
  const operations = result.getOperations()
  const nodes = new Map<string, { node: OperationNode & { children: Array<OperationNode> }; parent: string | undefined }>()
  for (const op of operations) {
    nodes.set(op.getId()!, {
      node: { type: op.getType(), subType: op.getSubType(), name: op.getName(), status: op.getStatus(), children: [] },
      parent: op.getParentId()
    })
  }
  const roots: Array<OperationNode> = []
  for (const { node, parent } of nodes.values()) {
    const owner = parent === undefined ? undefined : nodes.get(parent)
    if (owner === undefined) roots.push(node)
    else owner.node.children.push(node)
  }
  let error: RunOutcome["error"]
  if (status !== "SUCCEEDED") {
    const e = result.getError()
    error = { errorType: e.errorType, errorMessage: e.errorMessage }
  }
  return {
    status,
    result: status === "SUCCEEDED" ? result.getResult() : undefined,
    error,
    tree: canonical(roots),
    ids: operations.map((op) => `${op.getId()} < ${op.getParentId() ?? "root"} ${op.getType()} ${op.getName() ?? ""}`).sort(),
    invocations: result.getInvocations().length,
    events: result.getHistoryEvents().map((event) => String(event.EventType)),
    elapsedMs
  }
}

/** Children in a canonical order: the SDKs may checkpoint concurrent operations in different orders. */
const canonical = (nodes: ReadonlyArray<OperationNode>): ReadonlyArray<OperationNode> =>
  nodes.map((node) => ({ ...node, children: canonical(node.children) })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

/** A readable outline of a tree, for failure messages and the report. */
export const outline = (nodes: ReadonlyArray<OperationNode>, depth = 0): string =>
  nodes.map((n) => `${"  ".repeat(depth)}${n.type}/${n.subType} ${n.name ?? "(unnamed)"} ${n.status}\n${outline(n.children, depth + 1)}`).join("")
