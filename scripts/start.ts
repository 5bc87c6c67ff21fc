/**
 * `npm start`: migrate the local D1 database, run the Worker in Miniflare on 127.0.0.1:8787,
 * load the bundled workbooks through the real ingest path (script → endpoint → queue → consumer)
 * when the database is empty, and say where the API and its docs are. Everything is local: no
 * account, no network.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { parseSettings } from "../src/config";
import { monotonicNow } from "../src/lib/monotonic-clock";
import { localUrl } from "../src/lib/url-host";
import { listenSettingsSchema } from "../src/node/settings";
import { IngestClient } from "./lib/ingest-client";
import { chooseIngestToken } from "./lib/local-ingest-token";
import { applyLocalMigrations, migrationSummary } from "./lib/local-migrations";
import { OFFLINE_WRANGLER_ENV } from "./lib/offline-wrangler";
import { readyLines } from "./lib/ready-line";
import { seedWhenEmpty } from "./lib/seed";
import { settingsOrExit } from "./lib/server-settings";
import { claimStartLock } from "./lib/start-lock";
import { writeWorkerEnvFile } from "./lib/worker-env-file";

const WRANGLER = fileURLToPath(new URL("../node_modules/.bin/wrangler", import.meta.url));
// HOST and PORT read as `npm run serve` reads them. `Number()` took `PORT=abc` to a stack trace,
// and a blank PORT to port 0, where wrangler listened and the readiness probe never looked.
const { HOST, PORT } = settingsOrExit(
  () => parseSettings(listenSettingsSchema(8787, 1), process.env),
  "npm start failed: ",
);
const BASE_URL = localUrl(HOST, PORT);

const offline = {
  ...process.env,
  ...OFFLINE_WRANGLER_ENV,
  // Lets `wrangler d1 migrations apply --local` proceed without asking.
  CI: "true",
};

// wrangler dev reads secrets from .dev.vars; a fresh clone gets the documented local values.
if (!existsSync(".dev.vars")) copyFileSync(".dev.vars.example", ".dev.vars");
const devVars = readFileSync(".dev.vars", "utf8");
const ingest = chooseIngestToken(process.env.INGEST_TOKEN, devVars);

let releaseLock: () => void;
try {
  releaseLock = claimStartLock(process.cwd(), BASE_URL);
} catch (error) {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
}
process.on("exit", () => releaseLock());

// Another server on the port would answer the readiness probe below: npm start printed `ready` for
// it (and tried to seed it) before its own wrangler dev failed with "Address already in use".
const portProblem = await portInUse(HOST, PORT);
if (portProblem) {
  console.error(`npm start failed: ${portProblem}`);
  process.exit(1);
}

const migration = await applyLocalMigrations(WRANGLER, offline);
if (migration.code !== 0) {
  // All of it: the failing migration's error comes after wrangler's tables.
  process.stderr.write(migration.output);
  console.error("Applying the local D1 migrations failed; see the output above.");
  process.exit(migration.code ?? 1);
}
// Output in words this script does not know: wrangler's own, rather than a guessed count.
console.log(migrationSummary(migration.output) ?? migration.output.trimEnd());

// In a 0600 file, not `--var`: a command line is visible to every local user through `ps`.
const envFile = ingest.passToWorker ? envFileWith(ingest.token) : undefined;
const envFileArgs = envFile ? ["--env-file", envFile.path] : [];
const worker = spawn(
  WRANGLER,
  // --test-scheduled: /__scheduled runs the cron's handler. The URL wrangler suggests without it,
  // /cdn-cgi/handler/scheduled, answers 500 in a Worker with [assets] (docs/databases.md).
  [
    "dev",
    "--ip",
    HOST,
    "--port",
    String(PORT),
    "--log-level",
    "warn",
    "--test-scheduled",
    ...envFileArgs,
  ],
  {
    stdio: "inherit",
    env: { ...offline, CI: process.env.CI ?? "" },
  },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => worker.kill(signal));
}
let failed = false;
worker.on("exit", (code) => {
  envFile?.remove();
  process.exit(failed ? 1 : (code ?? 0));
});

try {
  await waitUntilServing(`${BASE_URL}/openapi.json`);
  if (ingest.token === null) {
    console.log("not seeding: INGEST_TOKEN is empty in .dev.vars, so ingest is off");
  } else {
    const token = ingest.token;
    await seedWhenEmpty({
      url: BASE_URL,
      token,
      storedRows: () => new IngestClient(BASE_URL, token).storedRows(),
      reportFile: ".wrangler/seed-ingest-report.json",
    });
  }
  console.log(readyLines(BASE_URL, HOST));
} catch (error) {
  // One line, and the Worker goes too: it must not outlive the command that started it.
  console.error(`npm start failed: ${(error as Error).message}`);
  failed = true;
  worker.kill("SIGTERM");
}

function envFileWith(token: string): ReturnType<typeof writeWorkerEnvFile> {
  try {
    return writeWorkerEnvFile(devVars, { INGEST_TOKEN: token });
  } catch (error) {
    console.error(`npm start failed: ${(error as Error).message}`);
    process.exit(1);
  }
}

async function waitUntilServing(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = monotonicNow() + timeoutMs;
  while (monotonicNow() < deadline) {
    let response: Response;
    try {
      response = await fetch(url);
    } catch {
      // Not listening yet.
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    if (response.ok) return;
    // The Worker is up but refuses every request (settings that do not parse): waiting would
    // only end in a false "did not answer" a minute later, after a log line per probe.
    const problem = await notReadyProblem(response);
    if (problem) throw new Error(problem);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Worker did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/** The Worker's not-ready problem as one line naming each setting and why, or null. */
async function notReadyProblem(response: Response): Promise<string | null> {
  const text = await response.text().catch(() => "");
  if (response.status !== 503) return null;
  let body: { type?: string; detail?: string; errors?: { field: string; message: string }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (!body?.type?.endsWith("/not-ready")) return null;
  const fields = (body.errors ?? []).map((error) => `${error.field} ${error.message}`);
  if (fields.length === 0) return body.detail ?? "the Worker is not ready";
  return `the Worker's settings are not valid: ${fields.join("; ")} (fix them in .dev.vars or wrangler.toml's [vars])`;
}

/** Why `wrangler dev` could not listen on host:port (taken, or a host that is not this machine's), or null. */
function portInUse(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === "EADDRINUSE"
          ? `${host}:${port} is already in use by another server; stop it, or choose another port (PORT=8790 npm start)`
          : `cannot listen on ${host}:${port} (${error.code ?? error.message}); check HOST and PORT`,
      ),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}
