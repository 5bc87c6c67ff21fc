import { posix } from "node:path";
import { leastLimitOfOwnCgroups, type ReadText, readText } from "./cgroup";

/*
 * The memory a container may use: its cgroup's memory limit (`docker run --memory=512m`, a
 * Kubernetes `limits.memory`). Past it the kernel's OOM killer kills a process of the container,
 * so WEB_CONCURRENCY's default forks no more HTTP workers than the limit holds.
 */

/**
 * Bytes a cgroup v2 `memory.max` or v1 `memory.limit_in_bytes` allows; null for none: v2's "max",
 * v1's "unlimited" (2^63 rounded down to a page, past any number a machine has), or garbage.
 */
export function bytesFromMemoryLimit(content: string): number | null {
  const limit = content.trim();
  if (!/^\d+$/.test(limit)) return null;
  const bytes = Number(limit);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : null;
}

/**
 * The bytes this process's cgroups allow (the least of its own cgroup's limit and those above it,
 * a pod's and its container's); null when none sets one or the files are not there.
 */
export function cgroupMemoryLimit(read: ReadText = readText): number | null {
  return leastLimitOfOwnCgroups(
    "memory",
    (version, directory) => {
      const file = version === 2 ? "memory.max" : "memory.limit_in_bytes";
      const content = read(posix.join(directory, file));
      return content === null ? null : bytesFromMemoryLimit(content);
    },
    read,
  );
}
