/*
 * A real local Worker for the Node-side tests, the benchmarks and the console screenshot:
 * `wrangler dev` (Miniflare: D1, Queues) on a free loopback port, with its own state directory,
 * migrated first. Stopped by the caller.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyLocalMigrations } from "./local-migrations";
import { OFFLINE_WRANGLER_ENV } from "./offline-wrangler";
import { stopGroup } from "./process-group";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const LOCAL_INGEST_TOKEN = "node-test-ingest-token";

const offline = {
  ...process.env,
  ...OFFLINE_WRANGLER_ENV,
  CI: "true",
};

export interface LocalWorker {
  url: string;
  token: string;
  stop: () => Promise<void>;
}

/** A `wrangler dev` started here: also what it has written to stderr (its errors) so far. */
export interface LocalWorkerProcess extends LocalWorker {
  errors: () => string;
}

interface StartOptions {
  /**
   * Counts the Worker as started once it answers its 503 for settings that do not parse, for
   * tests of exactly that; otherwise only a 200 does.
   */
  invalidSettings?: boolean;
}

/**
 * `vars` are added with `--var`; `config` is another wrangler configuration file (in the project
 * root, since its paths resolve from where it lives), for trying other settings. Started with
 * `--test-scheduled`, as `npm start` is, so that `/__scheduled` runs the cron's handler.
 */
export async function startLocalWorker(
  vars: Record<string, string> = {},
  config?: string,
  { invalidSettings = false }: StartOptions = {},
): Promise<LocalWorkerProcess> {
  const configArgs = config === undefined ? [] : ["--config", config];
  const state = await mkdtemp(join(tmpdir(), "local-worker-"));
  const migration = await applyLocalMigrations(WRANGLER, offline, {
    args: ["--persist-to", state, ...configArgs],
    cwd: ROOT,
  });
  if (migration.code !== 0) {
    await rm(state, { recursive: true, force: true });
    throw new Error(`migrations failed: ${migration.output}`);
  }

  const port = await freePort();
  const allVars = {
    INGEST_TOKEN: LOCAL_INGEST_TOKEN,
    AS_OF_DATE: "2025-06-15",
    INGEST_RETRY_DELAY_SECONDS: "0",
    ...vars,
  };
  const args = [
    "dev",
    ...configArgs,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    state,
    "--log-level",
    "error",
    "--inspector-port",
    "0",
    "--test-scheduled",
  ];
  for (const [name, value] of Object.entries(allVars)) args.push("--var", `${name}:${value}`);
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    env: offline,
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (data: Buffer) => {
    stderr += data.toString();
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    // wrangler and everything it started (workerd).
    await stopGroup(child);
    await rm(state, { recursive: true, force: true });
  };
  try {
    await waitFor(`${url}/openapi.json`, 60_000, invalidSettings ? [200, 503] : [200]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${stderr.slice(-2000)}`);
  }
  return { url, token: LOCAL_INGEST_TOKEN, stop, errors: () => stderr };
}

/** A port the OS just handed out and released: free unless another process grabs it first. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, timeoutMs: number, statuses: number[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (statuses.includes((await fetch(url)).status)) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`local Worker did not answer on ${url}`);
}
