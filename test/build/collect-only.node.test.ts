import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

/*
 * A vitest run that collects tests without running them (`npx vitest list`, a `-t` that matches
 * nothing) runs no afterAll. The node-server and node-libsql set-up files started their server and
 * opened their database as they loaded, so such a run left an `npm run serve` cluster running and
 * a temporary directory behind for every route test file; the disk-full test left its tmpfs
 * mounted. Here the child vitest gets a TMPDIR of its own: whatever it leaves is in there, and a
 * server it left running names it in its settings.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const scratchDirs: string[] = [];

afterEach(async () => {
  for (const dir of scratchDirs.splice(0)) {
    // A leaked server group would keep its database open: stop it before removing its folder.
    for (const group of await processGroupsMentioning(dir)) process.kill(-group, "SIGKILL");
    for (const mount of await mountsUnder(dir)) execFileSync("umount", ["--lazy", mount]);
    await rm(dir, { recursive: true, force: true });
  }
});

/** Process groups of the processes whose environment names `text` (Linux /proc). */
async function processGroupsMentioning(text: string): Promise<number[]> {
  const groups = new Set<number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environment = await readFile(`/proc/${entry}/environ`, "utf8");
      if (!environment.includes(text)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      // Fields after the command's closing parenthesis: state, ppid, pgrp.
      const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (group > 1 && group !== process.pid) groups.add(group);
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return [...groups];
}

/** File systems mounted under `dir` (/proc/mounts). */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile("/proc/mounts", "utf8");
  return mounts
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((point) => point.startsWith(`${dir}/`));
}

describe("a run that only collects tests", () => {
  it("starts no server and leaves no temporary file", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "collect-only-"));
    scratchDirs.push(scratch);
    // The child is a vitest of its own, not a worker of this one.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST$|npm_)/i.test(name)),
    );
    const { stdout } = await run(
      process.execPath,
      [
        join(ROOT, "node_modules/vitest/vitest.mjs"),
        "list",
        "--project",
        "node-server",
        "--project",
        "node-libsql",
        "--project",
        "node",
        "test/routes/loans.test.ts",
        "test/node-server/disk-full.node.test.ts",
      ],
      { cwd: ROOT, env: { ...env, TMPDIR: scratch }, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout).toContain("[node-server] test/routes/loans.test.ts");
    expect(stdout).toContain("[node-libsql] test/routes/loans.test.ts");
    expect(stdout).toContain("[node] test/node-server/disk-full.node.test.ts");

    expect(await processGroupsMentioning(scratch)).toEqual([]);
    expect(await mountsUnder(scratch)).toEqual([]);
    expect(await readdir(scratch)).toEqual([]);
  });
});
