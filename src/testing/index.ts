/** reprise/testing: the test runner. */
export { createTestRunner, TestRunner } from "./test-runner.ts"
export type { CallbackReply, CallbackResponder, PendingCallback, RunOptions, TestRunnerOptions } from "./test-runner.ts"
export { TestExecution, TestOperation } from "./test-execution.ts"
export { VirtualClock } from "./virtual-clock.ts"
export { EngineProbe } from "../engine/engine-probe.ts"
export type { EngineProbeShape } from "../engine/engine-probe.ts"
export { replayCheck } from "./replay-check.ts"
export type { RecordedHistory, ReplayCheckOptions, ReplayReport } from "./replay-check.ts"
