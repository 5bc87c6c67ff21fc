/**
 * `npm run serve`: the API on Node (@hono/node-server) over libSQL — a `file:` database in the
 * project by default, or Turso with DATABASE_URL and DATABASE_AUTH_TOKEN. Migrates at start, runs
 * the ingest queue in-process, loads the bundled workbooks through the real ingest path when the
 * database is empty (as `npm start` does; SEED=false skips it), serves the console and the API
 * reference's script from public/ (built first when needed), and stops gracefully on SIGINT, SIGTERM
 * or SIGHUP. With WEB_CONCURRENCY above 1 (the default: one per core) this process is a node:cluster
 * primary and the HTTP is served by that many workers, each of which runs this script again.
 */
import cluster from "node:cluster";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../src/config";
import { countStoredRows } from "../src/ingest/job-store";
import { log } from "../src/lib/log";
import { startClusterPrimary, WorkerStartError } from "../src/node/cluster/primary";
import { runClusterWorker } from "../src/node/cluster/worker";
import { filePath } from "../src/node/database";
import { DatabaseOpenError } from "../src/node/database-open";
import { EX_CONFIG, EXIT_FAILURE } from "../src/node/exit-codes";
import { misspelledSettings } from "../src/node/misspelled-settings";
import { StartStoppedError, startServer } from "../src/node/server";
import { metricsTokenBlank, type ServerSettings, settingsFromEnv } from "../src/node/settings";
import { AssetsError, buildAssetsIfNeeded } from "./lib/assets";
import { readyLines } from "./lib/ready-line";
import { randomIngestToken, seedWhenEmpty } from "./lib/seed";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

try {
  const env = { ...process.env };
  // Once, by the primary (its workers get the same environment); before a bad setting stops it.
  if (cluster.isPrimary) {
    for (const fields of misspelledSettings(env)) {
      log("warn", "a setting's name is misspelled, so it is ignored", fields);
    }
  }
  let settings = settingsFromEnv(env);
  if (cluster.isPrimary && metricsTokenBlank(env, settings)) {
    log(
      "warn",
      "METRICS_TOKEN is blank, so it is unset: /metrics is open to anyone who reaches the port",
      { setting: "METRICS_TOKEN" },
    );
  }
  // Without INGEST_TOKEN ingest is off; seeding gets a random token only this process knows.
  if (settings.app.ingestToken === null && settings.seed) {
    env.INGEST_TOKEN = randomIngestToken();
    settings = settingsFromEnv(env);
  }
  if (cluster.isWorker) {
    // Forked by the primary below, with its environment: it serves HTTP until told to stop.
    await runClusterWorker(settings);
  } else {
    await serve(settings, env);
  }
} catch (error) {
  console.error(startFailure(error));
  process.exit(startExitCode(error));
}

/**
 * EX_CONFIG for a start only an operator can fix, so that a supervisor stops restarting it
 * (systemd's RestartPreventExitStatus=78); 1 for what a restart may cure. A cluster worker's
 * refusal is the primary's too: a worker gets the settings and database the primary checked.
 * A listen that fails stays 1: a port another process is leaving, an address not up yet at boot.
 */
function startExitCode(error: unknown): number {
  const forOperator =
    error instanceof ConfigError ||
    error instanceof AssetsError ||
    (error instanceof DatabaseOpenError && error.remedy === "operator") ||
    (error instanceof WorkerStartError && error.workerExitCode === EX_CONFIG);
  return forOperator ? EX_CONFIG : EXIT_FAILURE;
}

/** One line for the failures an operator causes and can fix; anything else in full. */
function startFailure(error: unknown): unknown {
  if (
    error instanceof ConfigError ||
    error instanceof AssetsError ||
    error instanceof DatabaseOpenError
  ) {
    return error.message;
  }
  // A cluster worker that could not start has printed its own line above this one.
  if (error instanceof WorkerStartError) return error.message;
  const { syscall } = error as NodeJS.ErrnoException;
  // A cluster worker's listen is the primary's bind: a taken port comes back as syscall "bind".
  if (syscall === "listen" || syscall === "bind" || syscall === "getaddrinfo") {
    return `cannot listen: ${(error as Error).message} (check HOST and PORT)`;
  }
  return error;
}

async function serve(
  settings: ServerSettings,
  env: Record<string, string | undefined>,
): Promise<void> {
  const ingestToken = settings.app.ingestToken;
  // From before the start: a cluster's first workers serve while the others still start.
  const stop = new AbortController();
  const stopWhenStarted = stopOnSignals(stop);
  // The console and /docs' script, served from public/ as the Worker serves them.
  await buildAssetsIfNeeded();
  const workers = settings.webConcurrency;
  let server: Awaited<ReturnType<typeof startServer | typeof startClusterPrimary>>;
  try {
    if (stop.signal.aborted) throw new StartStoppedError("stopped before it started");
    server =
      workers === 1
        ? await startServer(settings, stop.signal)
        : await startClusterPrimary(settings, env, stop.signal);
  } catch (error) {
    // A signal during the start: what had started has finished its requests and stopped.
    if (error instanceof StartStoppedError) process.exit(0);
    throw error;
  }
  stopWhenStarted(server);
  const migrated = server.runtime.migrated;
  if (migrated.length > 0) console.log(`applied migrations: ${migrated.join(", ")}`);
  console.log(`database: ${describeDatabase(settings.databaseUrl)}`);
  // How many, and what chose the number: the cores, a container's CPU quota, or the setting.
  const why = settings.webConcurrencySource;
  console.log(
    workers === 1
      ? `processes: 1 (${why}: queue, limiter and HTTP in this one)`
      : `processes: ${workers + 1} (a primary with the queue, limiter and metrics; ${workers} HTTP workers, ${why})`,
  );
  if (ingestToken !== null && settings.seed) {
    await seedWhenEmpty({
      url: server.url,
      token: ingestToken,
      storedRows: () => countStoredRows(server.runtime.db),
      // Beside a file database (so a scratch database keeps its report with it), else in .data/.
      reportFile: join(
        dirname(filePath(settings.databaseUrl) ?? `${ROOT}.data/x`),
        "seed-ingest-report.json",
      ),
    });
  }
  console.log(readyLines(server.url, settings.host));
}

/**
 * Stops gracefully on a signal, from before the start: one still starting is told through `stop`
 * (a cluster's first workers serve while the others start: the signal killed this process, and
 * node:cluster cut their requests); one started is closed, given by the function returned.
 */
function stopOnSignals(stop: AbortController): (server: { close: () => Promise<void> }) => void {
  let stopping = false;
  let started: { close: () => Promise<void> } | null = null;
  const close = (server: { close: () => Promise<void> }) =>
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("shutdown failed:", (error as Error).name);
        process.exit(1);
      },
    );
  // SIGHUP too: a closed terminal or SSH session stops the server as gracefully as Ctrl-C.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      // A second signal means "now": skip the grace periods.
      if (stopping) process.exit(1);
      stopping = true;
      console.log(`\n${signal}: finishing requests and queued work, then stopping`);
      if (started) close(started);
      else stop.abort();
    });
  }
  return (server) => {
    started = server;
    if (stopping) close(server);
  };
}

/** The URL without credentials or query (an auth token never belongs in a log). */
function describeDatabase(url: string): string {
  return url.startsWith("file:") ? (url.split("?")[0] ?? url) : new URL(url).host;
}
