/*
 * The processes the benchmark starts: the Node server (`scripts/serve.ts`) on a scratch libSQL
 * file, the hello-world server, and child commands with a time limit. Every process is started in
 * its own process group and stopped as a group (a cluster's workers with their primary), so
 * nothing outlives the run.
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/lib/local-worker";
import { OFFLINE_WRANGLER_ENV } from "../../scripts/lib/offline-wrangler";
import {
  spawnGroup as spawnInGroup,
  stopGroup as stopProcessGroup,
} from "../../scripts/lib/process-group";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The server has no ingest token of its own: the benchmark gives it one for this run. */
export const NODE_INGEST_TOKEN = `bench-${randomBytes(16).toString("hex")}`;

/** Every process group still running, so a watchdog can stop them all. */
const running = new Set<ChildProcess>();

/** A variable set to `undefined` is removed from the inherited environment. */
type ServerEnv = Record<string, string | undefined>;

export interface NodeServer {
  url: string;
  /** Processes in the server's group: more than one server process once it forks workers. */
  processCount: () => number;
  /** The process group's id (the group leader's pid): every process the server started is in it. */
  group: number;
  stop: () => Promise<void>;
}

/**
 * `npm run serve` on 127.0.0.1, a free port and the given database file, without seeding. `root`
 * is the checkout to run it from (another commit's worktree for a before/after comparison).
 */
export function startNodeServer(
  databaseFile: string,
  env: ServerEnv = {},
  root = ROOT,
  /** Node flags for the server, e.g. `--cpu-prof` (which NODE_OPTIONS does not accept). */
  nodeFlags: string[] = [],
): Promise<NodeServer> {
  return startServer(
    join(root, "scripts/serve.ts"),
    {
      SEED: "false",
      DATABASE_URL: `file:${databaseFile}`,
      AS_OF_DATE: "2025-06-15",
      INGEST_TOKEN: NODE_INGEST_TOKEN,
      NODE_ENV: "production",
      // Writes are measured for throughput, not for the limiter (a per-minute limit by default).
      RATE_LIMIT_PER_MINUTE: "100000000",
      ...env,
    },
    { root, readyPath: "/readyz", nodeFlags },
  );
}

/** The hello-world server (`bench/hello-world.ts`): the ceiling every endpoint is compared with. */
export function startHelloWorld(): Promise<NodeServer> {
  return startServer(join(ROOT, "bench/hello-world.ts"), {}, { root: ROOT, readyPath: "/" });
}

/**
 * Runs a server script with tsx in its own process group on a port chosen here, so that every
 * process of a cluster listens on the same one. Ready once a line says `ready: API <url>` (lines
 * of several processes may interleave, a line may arrive in pieces) and `readyPath` answers 200.
 */
export async function startServer(
  script: string,
  env: ServerEnv,
  options: { root: string; readyPath: string; nodeFlags?: string[] },
): Promise<NodeServer> {
  const port = await freePort();
  const nodeFlags = options.nodeFlags ?? [];
  const child = spawnGroup(
    nodeFlags.length > 0 ? process.execPath : join(ROOT, "node_modules/.bin/tsx"),
    [...(nodeFlags.length > 0 ? [...nodeFlags, "--import", "tsx"] : []), script],
    { HOST: "127.0.0.1", PORT: String(port), ...env },
    options.root,
  );
  const output = watchOutput(child);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const url = output.readyUrl;
    if (url && (await answers(`${url}${options.readyPath}`))) {
      output.lines.length = 0;
      output.keep = false;
      const pid = child.pid ?? 0;
      return { url, group: pid, processCount: () => groupSize(pid), stop: () => stopGroup(child) };
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stopGroup(child);
  throw new Error(`${script} did not start:\n${output.lines.join("\n").slice(-2000)}`);
}

interface Output {
  readyUrl: string | undefined;
  /** The last lines, for an error message; none are kept once the server is ready. */
  lines: string[];
  keep: boolean;
}

/** Whole lines from stdout and stderr, each stream buffered on its own, searched for the URL. */
function watchOutput(child: ChildProcess): Output {
  const output: Output = { readyUrl: undefined, lines: [], keep: true };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream?.on("data", (data: Buffer) => {
      if (!output.keep) return;
      const pieces = (partial + data.toString()).split("\n");
      partial = pieces.pop() ?? "";
      for (const line of pieces) {
        output.readyUrl ??= /ready: API (http:\/\/\S+)/.exec(line)?.[1];
      }
      output.lines = [...output.lines, ...pieces].slice(-50);
    });
  }
  return output;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** How many live processes are in the group (Linux `ps`, zombies left out); 0 when it cannot tell. */
function groupSize(groupId: number): number {
  try {
    const listing = execFileSync("ps", ["-e", "-o", "pgid=,stat="], { encoding: "utf8" });
    return listing
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([group, state]) => Number(group) === groupId && !state?.startsWith("Z")).length;
  } catch {
    return 0;
  }
}

/** A database file with its WAL and shared-memory files, if the server left them. */
export async function copyDatabase(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  for (const suffix of ["-wal", "-shm"]) {
    await copyFile(from + suffix, to + suffix).catch(() => undefined);
  }
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

function spawnGroup(command: string, args: string[], env: ServerEnv, cwd = ROOT): ChildProcess {
  const child = spawnInGroup(command, args, {
    cwd,
    env: {
      ...process.env,
      ...OFFLINE_WRANGLER_ENV,
      CI: "true",
      ...env,
    },
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** Stops the group (SIGTERM, then SIGKILL), then waits until the kernel has removed all of it. */
async function stopGroup(child: ChildProcess): Promise<void> {
  running.delete(child);
  const pid = child.pid;
  await stopProcessGroup(child);
  // A cluster's workers may outlive their primary for a moment: the next server gets the
  // machine to itself only once none is left.
  const deadline = Date.now() + 5_000;
  while (pid !== undefined && groupSize(pid) > 0 && Date.now() < deadline) await sleep(50);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
