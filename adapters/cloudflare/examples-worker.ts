/** The examples Worker that wrangler.toml deploys: the durable functions of examples/ behind the HTTP API. */
import { functions } from "../../examples/index.ts"
import { createWorker } from "./index.ts"

const worker = createWorker({ functions })

export const { ExecutionObject, IndexObject } = worker
export default { fetch: worker.fetch }
