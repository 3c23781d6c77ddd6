import { defaultServerConditions } from "vite"
import { defineConfig } from "vitest/config"

/**
 * Tests run on the TypeScript sources, not the build: the "reprise-source" export condition (first in every entry of
 * package.json "exports") maps `reprise/...` self-references to src/ and adapters/. Vitest resolves with it and
 * passes it to its workers as `--conditions`; NODE_OPTIONS hands it to the Node processes tests start, and
 * WRANGLER_BUILD_CONDITIONS to the wrangler builds they run. (tsconfig.json sets it as `customConditions`.)
 */
const SOURCE = "reprise-source"

export default defineConfig({
  // Vitest's own default is Vite's server conditions less "module" (which would pick ESM builds Node cannot load).
  ssr: { resolve: { conditions: [SOURCE, ...defaultServerConditions.filter((condition) => condition !== "module")] } },
  test: {
    include: ["test/**/*.test.ts"],
    // The stall watch ends a run that has stopped making progress for 10 minutes and names where (test/stall-watch.ts).
    reporters: ["default", "./test/stall-watch.ts"],
    // Generous: a test waits for events (each wait bounded), and on a 2-core machine busy with other work a
    // healthy test can take several times as long as on a quiet one; a hang still fails, only later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: {
      NODE_OPTIONS: `--conditions=${SOURCE}`,
      WRANGLER_BUILD_CONDITIONS: `${SOURCE},workerd,worker,browser`,
      // Servers in tests stay quiet; the log tests ask for their lines (test/adapters/node/server-log.test.ts).
      REPRISE_LOG_LEVEL: "none"
    }
  }
})
