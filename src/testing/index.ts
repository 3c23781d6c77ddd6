/** reprise/testing: the test runner. */
export { createTestRunner, TestRunner } from "./test-runner.ts"
export type { CallbackReply, CallbackResponder, PendingCallback, RunOptions, TestRunnerOptions } from "./test-runner.ts"
export { TestExecution, TestOperation } from "./test-execution.ts"
export type { SettleOptions } from "./test-execution.ts"
export { VirtualClock } from "./virtual-clock.ts"
export type { CheckpointCrashes } from "./checkpoint-crashes.ts"
export { EngineProbe, INVOCATIONS_KEPT } from "../engine/engine-probe.ts"
export type { EngineProbeShape } from "../engine/engine-probe.ts"
