import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { recordOutput, spawnGroup } from "../../scripts/lib/process-group";
import { type Controller, controllerCgroups, type ReadText } from "../../src/node/cgroup";
import { npmScriptCommand } from "./npm-script";
import { environmentWithoutAppSettings } from "./shell-settings";
import { until } from "./until";

/*
 * `npm run serve` under a cgroup v1 limit of its own (a CPU quota, a memory limit), as a container
 * runtime starts it: a child of this process's cgroup, made by the test and removed after it.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A machine's files, by path (cgroup fixtures). */
export const files =
  (contents: Record<string, string>): ReadText =>
  (path) =>
    contents[path] ?? null;

/** One /proc/self/mountinfo line for a cgroup file system mounted at `point`. */
export const mountLine = (root: string, point: string, type: string, superOptions: string) =>
  `35 24 0:30 ${root} ${point} rw,nosuid,nodev,noexec,relatime shared:9 - ${type} ${type} ${superOptions}`;

/** This process's own cgroup v1 directory of `controller`, if it has one. */
function ownV1Directory(controller: Controller): string | null {
  const own = readFileSync("/proc/self/cgroup", "utf8");
  const mountInfo = readFileSync("/proc/self/mountinfo", "utf8");
  const v1 = controllerCgroups(own, mountInfo, controller).find((cgroup) => cgroup.version === 1);
  return v1?.directory ?? null;
}

/**
 * Why this machine cannot run a process under a `controller` limit of its own: it needs root, a
 * writable cgroup v1 controller, and 2 cores or more (`fewCores` says why 1 is not enough).
 */
export function cannotLimitInV1(controller: Controller, fewCores: string): string | null {
  if (process.getuid?.() !== 0) return "not root";
  if (availableParallelism() < 2) return `fewer than 2 cores: ${fewCores}`;
  const directory = ownV1Directory(controller);
  if (directory === null) return `no cgroup v1 ${controller} controller`;
  try {
    const probe = join(directory, `credit-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
  } catch {
    return `the ${controller} controller at ${directory} is not writable`;
  }
  return null;
}

const made: string[] = [];

afterAll(async () => {
  for (const directory of made) {
    // Once every process in it has gone (a killed group's last ones are reaped after its leader).
    await until(
      async () => readFileSync(join(directory, "cgroup.procs"), "utf8").trim(),
      (pids) => pids === "",
      20_000,
    );
    rmdirSync(directory);
  }
});

/** A child of this process's `controller` cgroup with `limits` written into it; removed after the file. */
export function childCgroup(controller: Controller, limits: Record<string, string>): string {
  const cgroup = join(ownV1Directory(controller) ?? "", `credit-test-${process.pid}`);
  mkdirSync(cgroup);
  made.push(cgroup);
  for (const [file, value] of Object.entries(limits)) writeFileSync(join(cgroup, file), value);
  return cgroup;
}

/**
 * Starts `npm run serve` in `cgroup` (WEB_CONCURRENCY unset, over `databasePath`), and gives its
 * `processes:` line once it is ready; the server is killed before this returns.
 */
export async function processesLineInCgroup(cgroup: string, databasePath: string): Promise<string> {
  // Into the cgroup before node starts, as a container runtime places its process.
  const { command, args } = npmScriptCommand("serve");
  const child = spawnGroup(
    "sh",
    ["-c", 'echo $$ > "$0" && exec "$@"', join(cgroup, "cgroup.procs"), command, ...args],
    {
      cwd: ROOT,
      env: {
        ...environmentWithoutAppSettings(["WEB_CONCURRENCY"]),
        HOST: "127.0.0.1",
        PORT: "0",
        SEED: "false",
        DATABASE_URL: `file:${databasePath}`,
      },
    },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const output = recordOutput(child);
  try {
    const [line] = await output.waitFor(/processes: .*/, 60_000);
    await output.waitFor(/ready: API/, 60_000);
    return line;
  } finally {
    process.kill(-(child.pid ?? 0), "SIGKILL");
    await exited;
  }
}
