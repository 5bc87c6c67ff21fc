import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Two projects: the Worker code runs inside workerd against real D1 and Queues; the Node tools
// (exceljs parsing, libSQL) run in plain Node. Files named *.node.test.ts belong to Node.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      reporters: ["default", "./test/support/closing-line-reporter.ts"],
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: "./src/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  AS_OF_DATE: "2025-06-15",
                  INGEST_TOKEN: "test-ingest-token",
                  INGEST_RETRY_DELAY_SECONDS: "0",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/**/*.node.test.ts"],
            setupFiles: ["./test/support/apply-migrations.ts"],
          },
        },
        {
          test: {
            name: "node",
            include: ["test/**/*.node.test.ts"],
            environment: "node",
            testTimeout: 120_000,
          },
        },
      ],
    },
  };
});
