/** The contract suite on the in-memory runtime (the Hono app over the in-memory store, on 127.0.0.1). */
import { functions } from "./functions.ts"
import { startMemoryRuntime } from "./runtimes/memory-runtime.ts"
import { contractSuite } from "./suite.ts"

contractSuite("in-memory", () => startMemoryRuntime(functions, "contract-memory-key"))
