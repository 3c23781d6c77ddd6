/** reprise/effect: the Effect-native API over the same engine. */
export {
  childContext,
  DurableCtx,
  ended,
  invoke,
  make,
  map,
  now,
  parallel,
  patched,
  step,
  StepCtx,
  uuid,
  wait,
  waitForCallback
} from "./durable-effect.ts"
export type { EffectFunctionOptions, EffectInvokeConfig, EffectStepConfig } from "./durable-effect.ts"
