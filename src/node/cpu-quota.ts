import { posix } from "node:path";
import { leastLimitOfOwnCgroups, type ReadText, readText } from "./cgroup";

/*
 * The CPUs a container may use: its cgroup's CPU quota (`docker run --cpus=2`, a Kubernetes CPU
 * limit). Node 20's os.availableParallelism() counts the cores the process may be scheduled on,
 * not the quota, so a container limited to 2 CPUs on a 64-core host read 64 and forked 64 HTTP
 * workers. Parsed from the files' contents (pure, tested with fixtures); `cgroupCpuQuota` reads them.
 */

/** CPUs a cgroup v2 `cpu.max` allows ("150000 100000" is 1.5); null for "max" (no quota). */
export function cpusFromCpuMax(content: string): number | null {
  const [quota, period = "100000"] = content.trim().split(/\s+/);
  if (quota === undefined || quota === "max") return null;
  return cpus(quota, period);
}

/** CPUs a cgroup v1 `cpu.cfs_quota_us` over `cpu.cfs_period_us` allows; null for -1 (no quota). */
export function cpusFromCfsQuota(quota: string, period: string): number | null {
  return cpus(quota.trim(), period.trim());
}

function cpus(quota: string, period: string): number | null {
  if (!/^\d+$/.test(quota) || !/^\d+$/.test(period)) return null;
  const share = Number(quota) / Number(period);
  return share > 0 && Number.isFinite(share) ? share : null;
}

/**
 * The CPUs this process's cgroups allow (the smallest quota of its own cgroup and those above it,
 * as a Kubernetes pod's and its container's), unrounded; null when none sets one or the files are
 * not there (not Linux, no cgroup mounted).
 */
export function cgroupCpuQuota(read: ReadText = readText): number | null {
  return leastLimitOfOwnCgroups(
    "cpu",
    (version, directory) => quotaIn(version, directory, read),
    read,
  );
}

function quotaIn(version: 1 | 2, directory: string, read: ReadText): number | null {
  if (version === 2) {
    const max = read(posix.join(directory, "cpu.max"));
    return max === null ? null : cpusFromCpuMax(max);
  }
  const quota = read(posix.join(directory, "cpu.cfs_quota_us"));
  const period = read(posix.join(directory, "cpu.cfs_period_us"));
  return quota === null || period === null ? null : cpusFromCfsQuota(quota, period);
}
