/**
 * `npm run serve`: the API on Node (@hono/node-server) over libSQL — a `file:` database in the
 * project by default, or Turso with DATABASE_URL and DATABASE_AUTH_TOKEN. Migrates at start, runs
 * the ingest queue in-process, loads the bundled workbooks through the real ingest path when the
 * database is empty (as `npm start` does; SEED=false skips it), and stops gracefully on SIGINT /
 * SIGTERM.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { countStoredRows } from "../src/db/ingest";
import { filePath } from "../src/node/database";
import { type RunningServer, startServer } from "../src/node/server";
import { type ServerSettings, SettingsError, settingsFromEnv } from "../src/node/settings";
import { printSummary } from "./ingest";
import { runIngest } from "./lib/ingest-run";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

try {
  const settings = settingsFromEnv(process.env);
  const server = await startServer(settings);
  stopOnSignals(server);
  const migrated = server.runtime.migrated;
  if (migrated.length > 0) console.log(`applied migrations: ${migrated.join(", ")}`);
  console.log(`database: ${describeDatabase(settings.databaseUrl)}`);
  if (!/^(false|0|no)$/i.test(process.env.SEED ?? "")) await seedWhenEmpty(server, settings);
  console.log(
    `\nready: API ${server.url}  docs ${server.url}/docs  OpenAPI ${server.url}/openapi.json\n`,
  );
} catch (error) {
  if (error instanceof SettingsError) console.error(error.message);
  else console.error(error);
  process.exit(1);
}

/** Loads data/ when the database holds no customer; a filled database starts as it is. */
async function seedWhenEmpty(server: RunningServer, settings: ServerSettings): Promise<void> {
  const stored = await countStoredRows(server.runtime.db);
  if (stored.customers > 0) {
    console.log(
      `database holds ${stored.customers} customers and ${stored.loans} loans; not ingesting`,
    );
    return;
  }
  console.log(
    "empty database: ingesting data/customer_data.xlsx and data/loan_data.xlsx through the queue",
  );
  // Beside a file database (so a scratch database keeps its report with it), else in .data/.
  const reportDir = dirname(filePath(settings.databaseUrl) ?? `${ROOT}.data/report`);
  mkdirSync(reportDir, { recursive: true });
  const reportFile = join(reportDir, "seed-ingest-report.json");
  try {
    const report = await runIngest({
      url: server.url,
      token: settings.ingestToken,
      customersFile: `${ROOT}data/customer_data.xlsx`,
      loansFile: `${ROOT}data/loan_data.xlsx`,
      reportFile,
    });
    printSummary(report, reportFile);
  } catch (error) {
    // The API still serves; say what went wrong and how to retry.
    console.error(
      `seeding failed: ${(error as Error).message}. Retry with: npm run ingest -- --url ${server.url}`,
    );
  }
}

function stopOnSignals(server: RunningServer): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      // A second signal means "now": skip the grace periods.
      if (stopping) process.exit(1);
      stopping = true;
      console.log(`\n${signal}: finishing requests and queued work, then stopping`);
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error("shutdown failed:", (error as Error).name);
          process.exit(1);
        },
      );
    });
  }
}

/** The URL without credentials or query (an auth token never belongs in a log). */
function describeDatabase(url: string): string {
  return url.startsWith("file:") ? (url.split("?")[0] ?? url) : new URL(url).host;
}
