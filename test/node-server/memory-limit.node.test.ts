import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { recordOutput, spawnGroup } from "../../scripts/lib/process-group";
import { APP_SETTING_NAMES } from "../../src/config";
import { controllerCgroups, type ReadText } from "../../src/node/cgroup";
import { bytesFromMemoryLimit, cgroupMemoryLimit } from "../../src/node/memory-limit";
import { defaultWebConcurrency } from "../../src/node/settings";
import { scratchFiles } from "../node/ingest-fixtures";
import { npmScriptCommand } from "../node/npm-script";
import { until } from "../node/until";

/*
 * WEB_CONCURRENCY's default in a container with a memory limit (`docker run --memory=512m
 * --cpus=4`, a Kubernetes `limits.memory: 512Mi`). A started HTTP worker holds about 130 MB and
 * up to 185 MB while it starts: one per CPU forked 4 into 512 MiB, the OOM killer killed one while
 * starting, and the server did not start at all.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MiB = 1024 * 1024;

const files =
  (contents: Record<string, string>): ReadText =>
  (path) =>
    contents[path] ?? null;

const mountLine = (root: string, point: string, type: string, superOptions: string) =>
  `35 24 0:30 ${root} ${point} rw,nosuid,nodev,noexec,relatime shared:9 - ${type} ${type} ${superOptions}`;

describe("the cgroup's memory limit", () => {
  it("reads v2's memory.max and v1's memory.limit_in_bytes; none is null", () => {
    expect(bytesFromMemoryLimit("536870912\n")).toBe(512 * MiB);
    expect(bytesFromMemoryLimit("max\n")).toBeNull();
    // v1's "no limit": 2^63 rounded down to a page.
    expect(bytesFromMemoryLimit("9223372036854771712\n")).toBeNull();
    expect(bytesFromMemoryLimit("garbage")).toBeNull();
    expect(bytesFromMemoryLimit("0")).toBeNull();
  });

  it("finds a container's v2 limit (its own namespace: the mount's root)", () => {
    const read = files({
      "/proc/self/cgroup": "0::/\n",
      "/proc/self/mountinfo": mountLine("/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate"),
      "/sys/fs/cgroup/memory.max": "536870912\n",
    });
    expect(cgroupMemoryLimit(read)).toBe(512 * MiB);
  });

  it("finds a Docker container's v1 limit in the memory hierarchy, not the cpu one", () => {
    const read = files({
      "/proc/self/cgroup": "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n",
      "/proc/self/mountinfo": [
        mountLine("/docker/abc", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct"),
        mountLine("/docker/abc", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
      ].join("\n"),
      "/sys/fs/cgroup/memory/memory.limit_in_bytes": "1073741824\n",
      "/sys/fs/cgroup/cpu,cpuacct/memory.limit_in_bytes": "1\n",
    });
    expect(cgroupMemoryLimit(read)).toBe(1024 * MiB);
  });

  it("takes the least of the process's cgroup and those above it (a pod and its container)", () => {
    const read = files({
      "/proc/self/cgroup": "0::/kubepods/pod1/ctr\n",
      "/proc/self/mountinfo": mountLine("/", "/sys/fs/cgroup", "cgroup2", "rw"),
      "/sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "max\n",
      "/sys/fs/cgroup/kubepods/pod1/memory.max": "805306368\n",
      "/sys/fs/cgroup/kubepods/memory.max": "max\n",
    });
    expect(cgroupMemoryLimit(read)).toBe(768 * MiB);
  });

  it("is null off Linux, without a memory hierarchy, and with no limit", () => {
    expect(cgroupMemoryLimit(files({}))).toBeNull();
    const v1WithoutMemory = files({
      "/proc/self/cgroup": "4:cpu:/\n",
      "/proc/self/mountinfo": mountLine("/", "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"),
      "/sys/fs/cgroup/cpu/memory.limit_in_bytes": "1048576",
    });
    expect(cgroupMemoryLimit(v1WithoutMemory)).toBeNull();
  });
});

describe("WEB_CONCURRENCY's default under a memory limit", () => {
  it("forks no more workers than the limit holds after the primary's share, at least 1", () => {
    expect(defaultWebConcurrency(64, 4, 512 * MiB)).toEqual({
      count: 2,
      source:
        "2 that the cgroup's memory limit of 512 MiB holds (192 MiB for the primary, 160 for each HTTP worker), not one per CPU of the cgroup's quota of 4 on 64 cores",
    });
    expect(defaultWebConcurrency(8, null, 1024 * MiB)).toEqual({
      count: 5,
      source:
        "5 that the cgroup's memory limit of 1024 MiB holds (192 MiB for the primary, 160 for each HTTP worker), not one per core, 8",
    });
    expect(defaultWebConcurrency(8, null, 256 * MiB).count).toBe(1);
    expect(defaultWebConcurrency(8, null, 64 * MiB).count).toBe(1);
  });

  it("leaves the count to the CPUs when the limit holds them all", () => {
    expect(defaultWebConcurrency(2, null, 1024 * MiB)).toEqual({
      count: 2,
      source: "one per core, 2",
    });
    expect(defaultWebConcurrency(4, null, null)).toEqual({ count: 4, source: "one per core, 4" });
  });
});

/** This process's own cgroup v1 memory directory, or null. */
function ownMemoryCgroupV1(): string | null {
  const own = readFileSync("/proc/self/cgroup", "utf8");
  const mountInfo = readFileSync("/proc/self/mountinfo", "utf8");
  const v1 = controllerCgroups(own, mountInfo, "memory").find((cgroup) => cgroup.version === 1);
  return v1?.directory ?? null;
}

/**
 * Why this machine cannot run a process under a memory limit of its own: the test needs root, a
 * writable cgroup v1 memory controller, and 2 cores or more (on 1, the default is 1 anyway).
 */
function cannotRunUnderMemoryLimit(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  if (availableParallelism() < 2) return "fewer than 2 cores: the default is 1 process anyway";
  const directory = ownMemoryCgroupV1();
  if (directory === null) return "no cgroup v1 memory controller";
  try {
    const probe = join(directory, `credit-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
  } catch {
    return `the memory controller at ${directory} is not writable`;
  }
  return null;
}

const skipped = cannotRunUnderMemoryLimit();
const scratch = scratchFiles();
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

describe.skipIf(skipped !== null)(
  `npm run serve in a cgroup with a 300 MiB memory limit${skipped ? ` (skipped: ${skipped})` : ""}`,
  () => {
    it("runs one process, not one per core, and says why", async () => {
      const cgroup = join(ownMemoryCgroupV1() ?? "", `credit-test-${process.pid}`);
      mkdirSync(cgroup);
      made.push(cgroup);
      writeFileSync(join(cgroup, "memory.limit_in_bytes"), String(300 * MiB));

      // Into the cgroup before node starts, as a container runtime places its process.
      const { command, args } = npmScriptCommand("serve");
      const unset = Object.fromEntries(APP_SETTING_NAMES.map((name) => [name, ""]));
      const { WEB_CONCURRENCY: _, ...inherited } = process.env;
      const child = spawnGroup(
        "sh",
        ["-c", 'echo $$ > "$0" && exec "$@"', join(cgroup, "cgroup.procs"), command, ...args],
        {
          cwd: ROOT,
          env: {
            ...inherited,
            ...unset,
            HOST: "127.0.0.1",
            PORT: "0",
            SEED: "false",
            DATABASE_URL: `file:${scratch("memory.db")}`,
          },
        },
      );
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const output = recordOutput(child);
      try {
        const [line] = await output.waitFor(/processes: .*/, 60_000);
        expect(line).toMatch(
          /^processes: 1 \(WEB_CONCURRENCY unset: 1 that the cgroup's memory limit of 300 MiB holds \(192 MiB for the primary, 160 for each HTTP worker\), not one per (core|CPU).*: queue, limiter and HTTP in this one\)$/,
        );
        await output.waitFor(/ready: API/, 60_000);
      } finally {
        process.kill(-(child.pid ?? 0), "SIGKILL");
        await exited;
      }
    }, 120_000);
  },
);
