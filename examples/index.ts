/**
 * The example durable functions, one per use case: what `npm start` serves. Each module also exports a factory
 * (`make<Name>(services)`) and in-memory fakes, so its test can count every side effect.
 */
import type { DurableFunction } from "reprise"
import { apiOrchestration } from "./api-orchestration.ts"
import { approval } from "./approval.ts"
import { documentProcessing } from "./document-processing.ts"
import { firmwareRollout } from "./firmware-rollout.ts"
import { orderFulfilment } from "./order-fulfilment.ts"
import { payment } from "./payment.ts"

export { apiOrchestration, approval, documentProcessing, firmwareRollout, orderFulfilment, payment }

export const functions: ReadonlyArray<DurableFunction> = [
  orderFulfilment,
  approval,
  documentProcessing,
  payment,
  firmwareRollout,
  apiOrchestration
]
