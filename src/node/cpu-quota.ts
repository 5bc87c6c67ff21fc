import { readFileSync } from "node:fs";
import { posix } from "node:path";

/*
 * The CPUs a container may use: its cgroup's CPU quota (`docker run --cpus=2`, a Kubernetes CPU
 * limit). Node 20's os.availableParallelism() counts the cores the process may be scheduled on,
 * not the quota, so a container limited to 2 CPUs on a 64-core host read 64 and forked 64 HTTP
 * workers. Parsed from the files' contents (pure, tested with fixtures); `cgroupCpuQuota` reads them.
 */

/** A file's contents by absolute path; null when it is absent or unreadable. */
export type ReadText = (path: string) => string | null;

/** A cgroup directory of this process, and which version of the files it holds. */
export interface CpuCgroup {
  version: 1 | 2;
  /** The process's own cgroup, under the hierarchy's mount point. */
  directory: string;
  /** The mount point: the top of what this process can see of the hierarchy. */
  mountPoint: string;
}

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
 * Where this process's CPU controller is: the v1 `cpu` hierarchy, the v2 one, or both (a hybrid
 * host, where v1's `cpu` holds the quota), from /proc/self/cgroup and /proc/self/mountinfo.
 */
export function cpuCgroups(procSelfCgroup: string, mountInfo: string): CpuCgroup[] {
  const found: CpuCgroup[] = [];
  for (const line of procSelfCgroup.split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (controllers === undefined || path === undefined) continue;
    const version = controllers === "" ? 2 : controllers.split(",").includes("cpu") ? 1 : null;
    if (version === null) continue;
    const mount = cgroupMount(mountInfo, version);
    if (mount) found.push({ version, mountPoint: mount.point, directory: within(mount, path) });
  }
  return found;
}

/** The mount of a v1 hierarchy with the cpu controller, or of the v2 one. */
function cgroupMount(mountInfo: string, version: 1 | 2): { root: string; point: string } | null {
  for (const line of mountInfo.split("\n")) {
    // id parent major:minor root mount-point options [optional fields…] - type source super-options
    const [before, after] = line.split(" - ");
    const fields = before?.split(" ") ?? [];
    const [type, , superOptions = ""] = after?.split(" ") ?? [];
    const [root, point] = [fields[3], fields[4]];
    if (root === undefined || point === undefined) continue;
    const matches =
      version === 2
        ? type === "cgroup2"
        : type === "cgroup" && superOptions.split(",").includes("cpu");
    if (matches) return { root: unescapeMountField(root), point: unescapeMountField(point) };
  }
  return null;
}

/** mountinfo writes a blank, a tab, a newline and a backslash in a path as octal escapes. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/**
 * The cgroup's directory under the mount. A container's own cgroup is the mount's root (a cgroup
 * namespace, or a bind mount of it), so its path is taken relative to that root; one outside it
 * (`/../..` from a cgroup namespace) is the mount point itself, never a folder above it.
 */
function within(mount: { root: string; point: string }, path: string): string {
  const root = mount.root === "/" ? "" : mount.root;
  const relative = path.startsWith(`${root}/`) ? path.slice(root.length) : "";
  const parts = relative.split("/").filter((part) => part !== "" && part !== ".");
  return parts.includes("..") ? mount.point : posix.join(mount.point, ...parts);
}

/**
 * The CPUs this process's cgroups allow (the smallest quota of its own cgroup and those above it,
 * as a Kubernetes pod's and its container's), unrounded; null when none sets one or the files are
 * not there (not Linux, no cgroup mounted).
 */
export function cgroupCpuQuota(read: ReadText = readText): number | null {
  const own = read("/proc/self/cgroup");
  const mountInfo = read("/proc/self/mountinfo");
  if (own === null || mountInfo === null) return null;
  let least: number | null = null;
  for (const cgroup of cpuCgroups(own, mountInfo)) {
    for (const directory of upTo(cgroup.directory, cgroup.mountPoint)) {
      const quota = quotaIn(cgroup.version, directory, read);
      if (quota !== null && (least === null || quota < least)) least = quota;
    }
  }
  return least;
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

/** `directory`, then each parent up to and including `top`. */
function upTo(directory: string, top: string): string[] {
  const chain = [directory];
  let current = directory;
  while (current !== top && current.startsWith(`${top}/`)) {
    current = posix.dirname(current);
    chain.push(current);
  }
  return chain;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
