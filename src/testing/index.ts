/** reprise/testing: the test runner. */
export { createTestRunner, TestRunner } from "./test-runner.ts"
export type { CallbackReply, CallbackResponder, PendingCallback, RunOptions, TestRunnerOptions } from "./test-runner.ts"
export { TestExecution, TestOperation } from "./test-execution.ts"
export { VirtualClock } from "./virtual-clock.ts"
