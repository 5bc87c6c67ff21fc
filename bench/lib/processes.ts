/*
 * The processes the benchmark starts: the Node server (`scripts/serve.ts`) on a scratch libSQL
 * file, and child commands with a time limit. Every process is started in its own process group
 * and stopped as a group, so nothing outlives the run.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  spawnGroup as spawnInGroup,
  stopGroup as stopProcessGroup,
  waitForOutput,
} from "../../scripts/lib/process-group";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The server has no ingest token of its own: the benchmark gives it one for this run. */
export const NODE_INGEST_TOKEN = `bench-${randomBytes(16).toString("hex")}`;

/** Every process group still running, so a watchdog can stop them all. */
const running = new Set<ChildProcess>();

export interface NodeServer {
  url: string;
  stop: () => Promise<void>;
}

/**
 * `npm run serve` on 127.0.0.1, a free port and the given database file, without seeding. `root`
 * is the checkout to run it from (another commit's worktree for a before/after comparison).
 */
export async function startNodeServer(
  databaseFile: string,
  env: Record<string, string> = {},
  root = ROOT,
): Promise<NodeServer> {
  const child = spawnGroup(
    join(ROOT, "node_modules/.bin/tsx"),
    [join(root, "scripts/serve.ts")],
    {
      HOST: "127.0.0.1",
      PORT: "0",
      SEED: "false",
      DATABASE_URL: `file:${databaseFile}`,
      AS_OF_DATE: "2025-06-15",
      INGEST_TOKEN: NODE_INGEST_TOKEN,
      NODE_ENV: "production",
      // Writes are measured for throughput, not for the limiter (a per-minute limit by default).
      RATE_LIMIT_PER_MINUTE: "100000000",
      ...env,
    },
    root,
  );
  try {
    const [, url = ""] = await waitForOutput(child, /ready: API (http:\/\/\S+)/, 60_000);
    return { url, stop: () => stopGroup(child) };
  } catch (error) {
    await stopGroup(child);
    throw new Error(`the Node server did not start: ${(error as Error).message}`);
  }
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (or its time limit, then stops it) and collects its output. */
export async function runCommand(
  command: string,
  args: string[],
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const started = performance.now();
  const child = spawnGroup(command, args, env);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (data: Buffer) => {
    stdout += data.toString();
  });
  child.stderr?.on("data", (data: Buffer) => {
    stderr += data.toString();
  });
  const timer = setTimeout(() => void stopGroup(child), timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  running.delete(child);
  return { code, stdout, stderr, ms: performance.now() - started };
}

/** Stoppers of processes started elsewhere (the local Worker), for the watchdog. */
const cleanups = new Set<() => Promise<void>>();

/** Registers a stopper until the returned function is called. */
export function onStopAll(stop: () => Promise<void>): () => void {
  cleanups.add(stop);
  return () => cleanups.delete(stop);
}

/**
 * On Ctrl-C or SIGTERM: stops everything started (and runs `cleanUp`, for what else a script
 * made), then exits 130.
 */
export function stopAllOnSignals(cleanUp: () => Promise<unknown> = async () => {}): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(
      signal,
      () => void Promise.all([stopAll(), cleanUp()]).finally(() => process.exit(130)),
    );
  }
}

/** Stops every process group the benchmark started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopGroup(child)));
  await Promise.all([...cleanups].map((stop) => stop()));
}

function spawnGroup(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): ChildProcess {
  const child = spawnInGroup(command, args, {
    cwd,
    env: {
      ...process.env,
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      CI: "true",
      ...env,
    },
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** SIGTERM to the group, SIGKILL after 5 s if it is still there. */
async function stopGroup(child: ChildProcess): Promise<void> {
  running.delete(child);
  await stopProcessGroup(child);
}
