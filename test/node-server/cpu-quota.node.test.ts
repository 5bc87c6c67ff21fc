import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { controllerCgroups } from "../../src/node/cgroup";
import { cgroupCpuQuota, cpusFromCfsQuota, cpusFromCpuMax } from "../../src/node/cpu-quota";
import { defaultWebConcurrency } from "../../src/node/settings";
import {
  cannotLimitInV1,
  childCgroup,
  files,
  mountLine,
  processesLineInCgroup,
} from "../node/cgroup-v1";
import { scratchFiles } from "../node/ingest-fixtures";

/*
 * WEB_CONCURRENCY's default in a container with a CPU quota (`docker run --cpus=2`, a Kubernetes
 * CPU limit). Node 20's availableParallelism() reads the cores the process may run on, not the
 * quota: 2 CPUs on a 64-core host forked 64 HTTP workers onto one SQLite file, each with its own
 * memory and connection, all starting at once on 2 CPUs' worth of time.
 */

describe("the cgroup files' contents", () => {
  it("reads cgroup v2's cpu.max and v1's quota over period, unrounded; no quota is null", () => {
    expect(cpusFromCpuMax("200000 100000\n")).toBe(2);
    expect(cpusFromCpuMax("150000 100000\n")).toBe(1.5);
    expect(cpusFromCpuMax("max 100000\n")).toBeNull();
    expect(cpusFromCfsQuota("50000\n", "100000\n")).toBe(0.5);
    expect(cpusFromCfsQuota("-1\n", "100000\n")).toBeNull();
    expect(cpusFromCfsQuota("garbage", "100000")).toBeNull();
    expect(cpusFromCfsQuota("100000", "0")).toBeNull();
  });

  it("finds a container's cgroup v2 (its own namespace: the mount's root)", () => {
    const read = files({
      "/proc/self/cgroup": "0::/\n",
      "/proc/self/mountinfo": `${mountLine("/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate")}\n`,
      "/sys/fs/cgroup/cpu.max": "200000 100000\n",
    });
    expect(cgroupCpuQuota(read)).toBe(2);
  });

  it("finds a Docker container's cgroup v1 without a namespace (the mount's root is its path)", () => {
    const read = files({
      "/proc/self/cgroup":
        "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n",
      "/proc/self/mountinfo": [
        mountLine("/docker/abc", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
        mountLine("/docker/abc", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct"),
      ].join("\n"),
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "150000\n",
      "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
    });
    expect(cgroupCpuQuota(read)).toBe(1.5);
  });

  it("takes the least quota of the process's cgroup and those above it (a pod and its container)", () => {
    const read = files({
      "/proc/self/cgroup": "0::/kubepods/pod1/ctr\n",
      "/proc/self/mountinfo": mountLine("/", "/sys/fs/cgroup", "cgroup2", "rw"),
      "/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max": "max 100000\n",
      "/sys/fs/cgroup/kubepods/pod1/cpu.max": "300000 100000\n",
      "/sys/fs/cgroup/kubepods/cpu.max": "max 100000\n",
    });
    expect(cgroupCpuQuota(read)).toBe(3);
  });

  it("reads v1's cpu controller on a hybrid host, whose v2 hierarchy has none", () => {
    const cgroup = "4:cpu:/svc\n0::/svc\n";
    const mountInfo = [
      mountLine("/", "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"),
      mountLine("/", "/sys/fs/cgroup/unified", "cgroup2", "rw"),
    ].join("\n");
    expect(controllerCgroups(cgroup, mountInfo, "cpu")).toEqual([
      { version: 1, mountPoint: "/sys/fs/cgroup/cpu", directory: "/sys/fs/cgroup/cpu/svc" },
      { version: 2, mountPoint: "/sys/fs/cgroup/unified", directory: "/sys/fs/cgroup/unified/svc" },
    ]);
    const read = files({
      "/proc/self/cgroup": cgroup,
      "/proc/self/mountinfo": mountInfo,
      "/sys/fs/cgroup/cpu/svc/cpu.cfs_quota_us": "100000",
      "/sys/fs/cgroup/cpu/svc/cpu.cfs_period_us": "100000",
    });
    expect(cgroupCpuQuota(read)).toBe(1);
  });

  it("never reads above the mount: a path outside the namespace, an escaped blank", () => {
    const mountInfo = mountLine("/", "/sys/fs/cgroup/my\\040cgroups", "cgroup2", "rw");
    expect(controllerCgroups("0::/../../elsewhere\n", mountInfo, "cpu")).toEqual([
      {
        version: 2,
        mountPoint: "/sys/fs/cgroup/my cgroups",
        directory: "/sys/fs/cgroup/my cgroups",
      },
    ]);
  });

  it("is null off Linux or without a cgroup mount, and with no quota set", () => {
    expect(cgroupCpuQuota(files({}))).toBeNull();
    const read = files({
      "/proc/self/cgroup": "0::/\n",
      "/proc/self/mountinfo": mountLine("/", "/sys/fs/cgroup", "cgroup2", "rw"),
    });
    expect(cgroupCpuQuota(read)).toBeNull();
  });
});

describe("WEB_CONCURRENCY's default", () => {
  it("is the CPU quota rounded up when it is below the cores, at least 1, at most 64", () => {
    expect(defaultWebConcurrency(64, 2)).toEqual({
      count: 2,
      source: "one per CPU of the cgroup's quota of 2 on 64 cores",
    });
    expect(defaultWebConcurrency(64, 1.5).count).toBe(2);
    expect(defaultWebConcurrency(64, 0.25).count).toBe(1);
    expect(defaultWebConcurrency(2, 4)).toEqual({ count: 2, source: "one per core, 2" });
    expect(defaultWebConcurrency(8, null)).toEqual({ count: 8, source: "one per core, 8" });
    expect(defaultWebConcurrency(96, 80)).toEqual({ count: 64, source: "at most 64, on 96 cores" });
  });
});

const skipped = cannotLimitInV1("cpu", "a 1-CPU quota changes nothing");
const scratch = scratchFiles();

describe.skipIf(skipped !== null)(
  `npm run serve in a cgroup with a 1-CPU quota${skipped ? ` (skipped: ${skipped})` : ""}`,
  () => {
    it("runs one process, not one per core, and says why", async () => {
      const cgroup = childCgroup("cpu", {
        "cpu.cfs_period_us": "100000",
        "cpu.cfs_quota_us": "100000",
      });
      expect(await processesLineInCgroup(cgroup, scratch("quota.db"))).toBe(
        `processes: 1 (WEB_CONCURRENCY unset: one per CPU of the cgroup's quota of 1 on ${availableParallelism()} cores: queue, limiter and HTTP in this one)`,
      );
    }, 120_000);
  },
);
