/*
 * A real local Worker for the Node-side tests, the benchmarks and the console screenshot:
 * `wrangler dev` (Miniflare: D1, Queues) on a free loopback port, with its own state directory,
 * migrated first. Stopped by the caller.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { monotonicNow } from "../../src/lib/monotonic-clock";
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
  /** Where the port to try comes from, each try: freePort unless a test says otherwise. */
  pickPort?: () => Promise<number>;
}

/**
 * Tries at a port: freePort's port is free when it answers, and wrangler's own servers (and any
 * other process) can take it in the seconds before wrangler listens on it. wrangler says "Address
 * already in use"; npm start says the port "is already in use".
 */
const PORT_TRIES = 3;
const PORT_TAKEN = /Address already in use|is already in use/;

/** What one try at a port came to: its value, or why it failed (the process's output with it). */
export type PortTry<T> = { value: T } | { failure: string };

/**
 * Runs `attempt` at a port from `pickPort`, and again at another while it fails because that port
 * was taken, three tries in all; any other failure, or the third, is thrown with its text.
 */
export async function onFreshPort<T>(
  attempt: (port: number) => Promise<PortTry<T>>,
  pickPort: () => Promise<number> = freePort,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    const tried = await attempt(await pickPort());
    if ("value" in tried) return tried.value;
    if (tries >= PORT_TRIES || !PORT_TAKEN.test(tried.failure)) throw new Error(tried.failure);
  }
}

/**
 * `vars` are added with `--var`; `config` is another wrangler configuration file (in the project
 * root, since its paths resolve from where it lives), for trying other settings. Started with
 * `--test-scheduled`, as `npm start` is, so that `/__scheduled` runs the cron's handler.
 */
export async function startLocalWorker(
  vars: Record<string, string> = {},
  config?: string,
  { invalidSettings = false, pickPort = freePort }: StartOptions = {},
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
    "--persist-to",
    state,
    "--log-level",
    "error",
    "--inspector-port",
    "0",
    "--test-scheduled",
  ];
  for (const [name, value] of Object.entries(allVars)) args.push("--var", `${name}:${value}`);
  const statuses = invalidSettings ? [200, 503] : [200];
  try {
    const { url, child, stderr } = await onFreshPort(
      (port) => startDev([...args, "--port", String(port)], statuses),
      pickPort,
    );
    const stop = async () => {
      // wrangler and everything it started (workerd).
      await stopGroup(child);
      await rm(state, { recursive: true, force: true });
    };
    return { url, token: LOCAL_INGEST_TOKEN, stop, errors: stderr };
  } catch (error) {
    await rm(state, { recursive: true, force: true });
    throw error;
  }
}

/**
 * `wrangler dev` with `args` (its port among them), until it answers with one of `statuses`, or
 * stopped again with why it did not: at once when it exits (a port already taken), else after 60 s.
 */
async function startDev(
  args: string[],
  statuses: number[],
): Promise<PortTry<{ url: string; child: ChildProcess; stderr: () => string }>> {
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
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stderrRead = new Promise<void>((resolve) => child.stderr?.once("close", () => resolve()));
  const url = `http://127.0.0.1:${args[args.indexOf("--port") + 1]}`;
  try {
    await waitFor(`${url}/openapi.json`, 60_000, statuses, exited);
    return { value: { url, child, stderr: () => stderr } };
  } catch (error) {
    await stopGroup(child);
    // The exit can come before the last of what it printed: wait for that, briefly.
    await Promise.race([stderrRead, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    return { failure: `${(error as Error).message}\n${stderr.slice(-2000)}` };
  }
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

async function waitFor(
  url: string,
  timeoutMs: number,
  statuses: number[],
  exited: Promise<void>,
): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = monotonicNow() + timeoutMs;
  while (monotonicNow() < deadline) {
    if (gone) throw new Error(`wrangler dev exited before the local Worker answered on ${url}`);
    try {
      // Bounded: whatever holds the port may accept the connection and never answer.
      if (statuses.includes((await fetch(url, { signal: AbortSignal.timeout(5_000) })).status)) {
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`local Worker did not answer on ${url}`);
}
