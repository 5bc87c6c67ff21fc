/**
 * `npm start`: migrate the local D1 database, run the Worker in Miniflare on 127.0.0.1:8787,
 * load the bundled workbooks through the real ingest path (script → endpoint → queue → consumer)
 * when the database is empty, and say where the API and its docs are. Everything is local: no
 * account, no network.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LOCAL_DEV_TOKEN, printSummary } from "./ingest";
import { IngestClient } from "./lib/ingest-client";
import { runIngest } from "./lib/ingest-run";

const WRANGLER = fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url));
const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8787);
const BASE_URL = `http://${HOST}:${PORT}`;

const offline = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  // Lets `wrangler d1 migrations apply --local` proceed without asking.
  CI: "true",
};

// wrangler dev reads secrets from .dev.vars; a fresh clone gets the documented local values.
if (!existsSync(".dev.vars")) copyFileSync(".dev.vars.example", ".dev.vars");
const ingestToken =
  /^INGEST_TOKEN=(.*)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim() ?? LOCAL_DEV_TOKEN;

const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: offline,
});
if (migrate.status !== 0) {
  console.error("Applying the local D1 migrations failed; see the output above.");
  process.exit(migrate.status ?? 1);
}

const worker = spawn(
  WRANGLER,
  ["dev", "--ip", HOST, "--port", String(PORT), "--log-level", "warn"],
  {
    stdio: "inherit",
    env: { ...offline, CI: process.env.CI ?? "" },
  },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => worker.kill(signal));
}
worker.on("exit", (code) => process.exit(code ?? 0));

await waitUntilServing(`${BASE_URL}/openapi.json`);
await seedWhenEmpty();
console.log(`\nready: API ${BASE_URL}  docs ${BASE_URL}/docs  OpenAPI ${BASE_URL}/openapi.json\n`);

async function waitUntilServing(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`The Worker did not answer on ${url} within ${timeoutMs / 1000} s.`);
  worker.kill("SIGTERM");
  process.exit(1);
}

/** Loads data/ when the database holds no customer; a filled database starts as it is. */
async function seedWhenEmpty(): Promise<void> {
  const stored = await new IngestClient(BASE_URL, ingestToken).storedRows();
  if (stored.customers > 0) {
    console.log(
      `database holds ${stored.customers} customers and ${stored.loans} loans; not ingesting`,
    );
    return;
  }
  console.log(
    "empty database: ingesting data/customer_data.xlsx and data/loan_data.xlsx through the queue",
  );
  mkdirSync(".wrangler", { recursive: true });
  const reportFile = ".wrangler/seed-ingest-report.json";
  try {
    const report = await runIngest({
      url: BASE_URL,
      token: ingestToken,
      customersFile: "data/customer_data.xlsx",
      loansFile: "data/loan_data.xlsx",
      reportFile,
    });
    printSummary(report, reportFile);
  } catch (error) {
    // The API still serves; say what went wrong and how to retry.
    console.error(`seeding failed: ${(error as Error).message}. Retry with: npm run ingest`);
  }
}
