import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Four projects: the Worker code runs inside workerd against real D1 and Queues; the HTTP
// contract suite (test/routes) runs a second time on the Node server's app in-process over a
// libSQL file, and a third time over real HTTP against `npm run serve` as its own multi-process
// server; the Node tools (exceljs parsing, libSQL) run in plain Node. Files named *.node.test.ts
// belong to Node. The same route test files serve every backend through test/support/backend.ts.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      reporters: ["default", "./test/support/closing-line-reporter.ts"],
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: "./src/worker/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  AS_OF_DATE: "2025-06-15",
                  INGEST_TOKEN: "test-ingest-token",
                  INGEST_RETRY_DELAY_SECONDS: "0",
                },
                // WRITE_RATE_LIMITER is wrangler.toml's, at its default; the binding's own test
                // adds a tight one.
                ratelimits: {
                  TIGHT_RATE_LIMITER: { simple: { limit: 3, period: 60 } },
                },
                // A D1 database no migration is ever applied to: a Worker deployed before its
                // migrations (test/worker/readiness.test.ts).
                d1Databases: { UNMIGRATED_DB: "unmigrated-db" },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/**/*.node.test.ts"],
            setupFiles: ["./test/support/apply-migrations.ts", "./test/support/backend-workers.ts"],
            // As node-libsql, which runs the same route files: under the whole suite on 2 cores,
            // vitest's 5 s default timed out tests that passed (20,000 loans read back in 8.5 s).
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        },
        {
          test: {
            name: "node-libsql",
            include: ["test/routes/**/*.test.ts"],
            // Counts D1 round trips through the D1 binding: Workers only.
            exclude: ["test/routes/round-trips.test.ts", "test/**/*.node.test.ts"],
            environment: "node",
            setupFiles: ["./test/support/backend-node.ts"],
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        },
        {
          test: {
            name: "node-server",
            // test/security is Workers-only: its tests drive Workers bindings (a failing D1, the
            // rate-limit binding). The hardening tests that go over HTTP are in test/routes.
            include: ["test/routes/**/*.test.ts"],
            // Counts D1 round trips through the D1 binding: Workers only.
            exclude: ["test/routes/round-trips.test.ts", "test/**/*.node.test.ts"],
            environment: "node",
            globalSetup: ["./test/support/server-assets.ts"],
            setupFiles: ["./test/support/backend-server.ts"],
            // A test with its own settings starts a server for them; a loaded machine is slow.
            testTimeout: 90_000,
            // Starts and stops server processes: slow on a loaded machine, not a failure.
            hookTimeout: 120_000,
          },
        },
        {
          test: {
            name: "node",
            include: ["test/**/*.node.test.ts"],
            environment: "node",
            testTimeout: 120_000,
            // Set-up hooks spawn tools and servers: on a loaded machine they take far longer than
            // vitest's 10 s default, and a slow machine must not fail the suite.
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
