/** The Worker the contract suite runs in Miniflare: the Reprise Worker from reprise/cloudflare over the contract functions. */
import { createWorker } from "reprise/cloudflare"
import { functions } from "../functions.ts"

const worker = createWorker({ functions })
export const { ExecutionObject, IndexObject } = worker
export default { fetch: worker.fetch }
