import { describe, expect, it } from "vitest";
import { bytesFromMemoryLimit, cgroupMemoryLimit } from "../../src/node/memory-limit";
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
 * WEB_CONCURRENCY's default in a container with a memory limit (`docker run --memory=512m
 * --cpus=4`, a Kubernetes `limits.memory: 512Mi`). A started HTTP worker holds about 130 MB and
 * up to 185 MB while it starts: one per CPU forked 4 into 512 MiB, the OOM killer killed one while
 * starting, and the server did not start at all.
 */

const MiB = 1024 * 1024;

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

const skipped = cannotLimitInV1("memory", "the default is 1 process anyway");
const scratch = scratchFiles();

describe.skipIf(skipped !== null)(
  `npm run serve in a cgroup with a 300 MiB memory limit${skipped ? ` (skipped: ${skipped})` : ""}`,
  () => {
    it("runs one process, not one per core, and says why", async () => {
      const cgroup = childCgroup("memory", { "memory.limit_in_bytes": String(300 * MiB) });
      expect(await processesLineInCgroup(cgroup, scratch("memory.db"))).toMatch(
        /^processes: 1 \(WEB_CONCURRENCY unset: 1 that the cgroup's memory limit of 300 MiB holds \(192 MiB for the primary, 160 for each HTTP worker\), not one per (core|CPU).*: queue, limiter and HTTP in this one\)$/,
      );
    }, 120_000);
  },
);
