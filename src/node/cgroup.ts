import { readFileSync } from "node:fs";
import { posix } from "node:path";

/*
 * Where this process's cgroup of one controller is (cpu for the CPU quota, memory for the memory
 * limit), on cgroup v1, v2 or a hybrid of both: parsed from /proc/self/cgroup and
 * /proc/self/mountinfo's contents (pure, tested with fixtures), read by `leastLimitOfOwnCgroups`.
 */

/** A file's contents by absolute path; null when it is absent or unreadable. */
export type ReadText = (path: string) => string | null;

/** A controller whose limits a container sets: `--cpus` is cpu's, `--memory` is memory's. */
export type Controller = "cpu" | "memory";

/** A cgroup directory of this process, and which version of the files it holds. */
export interface ControllerCgroup {
  version: 1 | 2;
  /** The process's own cgroup, under the hierarchy's mount point. */
  directory: string;
  /** The mount point: the top of what this process can see of the hierarchy. */
  mountPoint: string;
}

/**
 * Where this process's `controller` is: its v1 hierarchy, the v2 one, or both (a hybrid host,
 * where v1's holds the limit), from /proc/self/cgroup and /proc/self/mountinfo.
 */
export function controllerCgroups(
  procSelfCgroup: string,
  mountInfo: string,
  controller: Controller,
): ControllerCgroup[] {
  const found: ControllerCgroup[] = [];
  for (const line of procSelfCgroup.split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (controllers === undefined || path === undefined) continue;
    const version = controllers === "" ? 2 : controllers.split(",").includes(controller) ? 1 : null;
    if (version === null) continue;
    const mount = cgroupMount(mountInfo, version, controller);
    if (mount) found.push({ version, mountPoint: mount.point, directory: within(mount, path) });
  }
  return found;
}

/** The mount of a v1 hierarchy with the controller, or of the v2 one. */
function cgroupMount(
  mountInfo: string,
  version: 1 | 2,
  controller: Controller,
): { root: string; point: string } | null {
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
        : type === "cgroup" && superOptions.split(",").includes(controller);
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
 * The least limit `limitIn` finds in this process's cgroups of `controller` and those above them
 * (a Kubernetes pod's and its container's); null when none sets one or the files are not there
 * (not Linux, no cgroup mounted).
 */
export function leastLimitOfOwnCgroups(
  controller: Controller,
  limitIn: (version: 1 | 2, directory: string) => number | null,
  read: ReadText,
): number | null {
  const own = read("/proc/self/cgroup");
  const mountInfo = read("/proc/self/mountinfo");
  if (own === null || mountInfo === null) return null;
  let least: number | null = null;
  for (const cgroup of controllerCgroups(own, mountInfo, controller)) {
    for (const directory of upTo(cgroup.directory, cgroup.mountPoint)) {
      const limit = limitIn(cgroup.version, directory);
      if (limit !== null && (least === null || limit < least)) least = limit;
    }
  }
  return least;
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

export function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
