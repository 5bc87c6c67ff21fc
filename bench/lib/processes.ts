/*
 * The processes the benchmark starts: the Node server (`scripts/serve.ts`) on a scratch libSQL
 * file, and child commands with a time limit. Every process is started in its own process group
 * and stopped as a group, so nothing outlives the run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The server has no ingest token of its own: the benchmark gives it one for this run. */
export const NODE_INGEST_TOKEN = `bench-${randomBytes(16).toString("hex")}`;

/** Every process group still running, so a watchdog can stop them all. */
const running = new Set<ChildProcess>();

export interface NodeServer {
  url: string;
  /** The process group's id (the group leader's pid): every process the server started is in it. */
  group: number;
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
  /** Node flags for the server, e.g. `--cpu-prof` (which NODE_OPTIONS does not accept). */
  nodeFlags: string[] = [],
): Promise<NodeServer> {
  const child = spawnGroup(
    nodeFlags.length > 0 ? process.execPath : join(ROOT, "node_modules/.bin/tsx"),
    [
      ...(nodeFlags.length > 0 ? [...nodeFlags, "--import", "tsx"] : []),
      join(root, "scripts/serve.ts"),
    ],
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
  let output = "";
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", (data: Buffer) => {
      output += data.toString();
    });
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const url = /ready: API (http:\/\/\S+)/.exec(output)?.[1];
    if (url && child.pid !== undefined) {
      return { url, group: child.pid, stop: () => stopGroup(child) };
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stopGroup(child);
  throw new Error(`the Node server did not start:\n${output.slice(-2000)}`);
}

/** The largest peak RSS (VmHWM) of any live process of a process group, in MB (Linux only). */
export async function groupPeakRssMb(group: number): Promise<number | null> {
  let peakKb: number | null = null;
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Fields after the command's closing parenthesis: state, ppid, pgrp, …
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    if (pgrp !== group) continue;
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    if (Number.isFinite(kb)) peakKb = Math.max(peakKb ?? 0, kb);
  }
  return peakKb === null ? null : Math.round(peakKb / 1024);
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
  cwd = ROOT,
): Promise<CommandResult> {
  const started = performance.now();
  const child = spawnGroup(command, args, env, cwd);
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
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
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
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  signal(pid, "SIGTERM");
  const timer = setTimeout(() => signal(pid, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  // The leader has gone; make sure nothing else of its group stays behind.
  signal(pid, "SIGKILL");
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name);
  } catch {
    // the group is already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
