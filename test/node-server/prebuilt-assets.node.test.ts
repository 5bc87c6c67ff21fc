import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAssetsIfNeeded } from "../../scripts/lib/assets";
import { recordOutput, stopGroup } from "../../scripts/lib/process-group";
import { EX_CONFIG } from "../../src/node/exit-codes";
import { copyProject, serveInCopy } from "../node/project-copy";

/*
 * `npm run serve` installed as the docs install it: public/ built by the installing user, the
 * project read-only to the server's user (ProtectSystem=strict, a non-root service user). A
 * public/ that lacks only the source map, or whose files are older than console/'s (a copy that
 * kept no timestamps), made the start rebuild it, which it cannot do there: a stack trace
 * (EACCES on .build-staging) and exit 1, restarted by systemd again and again. A public/ that
 * lacks a file the server serves stays a refusal, but one line an operator can act on, exit 78.
 */

/** `nobody` when run as root, who may write anything whatever its mode. */
const SERVICE_USER = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

let directory: string;

beforeAll(async () => {
  await buildAssetsIfNeeded();
  directory = await mkdtemp(join(tmpdir(), "prebuilt-assets-"));
  await chmod(directory, 0o755);
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A read-only copy of the project with public/ built, after `change` edits it. */
async function readOnlyProject(name: string, change: (project: string) => Promise<void>) {
  const project = join(directory, name);
  await copyProject(project);
  await change(project);
  await makeReadOnly(project);
  // The database's own folder is the service user's (StateDirectory=).
  const data = join(directory, `${name}-data`);
  await mkdir(data);
  await chmod(data, 0o777);
  return { project, databaseUrl: `file:${join(data, "credit.db")}` };
}

async function makeReadOnly(path: string): Promise<void> {
  const info = await stat(path);
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) {
      if (entry !== "node_modules") await makeReadOnly(join(path, entry));
    }
    await chmod(path, 0o555);
  } else await chmod(path, 0o444);
}

function serve(project: string, databaseUrl: string): ChildProcess {
  const { command, args, cwd, env } = serveInCopy(project, {
    HOME: directory,
    DATABASE_URL: databaseUrl,
  });
  return spawn(command, args, {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    ...SERVICE_USER,
  });
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("npm run serve on a project its user may not write, public/ built beforehand", () => {
  it("serves public/ without its source map, saying the map is missing", async () => {
    const { project, databaseUrl } = await readOnlyProject("no-map", (p) =>
      rm(join(p, "public", "console.js.map")),
    );
    const child = serve(project, databaseUrl);
    const output = recordOutput(child);
    try {
      const [, url] = await output.waitFor(/ready: API (http:\/\/\S+)/, 60_000);
      const page = await fetch(`${url}/console`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect((await fetch(`${url}/console.js`)).status).toBe(200);
      expect(output.text()).toMatch(/public\/console\.js\.map/);
      expect(output.text()).not.toMatch(/\n\s+at /);
    } finally {
      await stopGroup(child, 25_000);
    }
  }, 90_000);

  it("serves public/ as built when console/ looks newer, saying to rebuild it", async () => {
    const { project, databaseUrl } = await readOnlyProject("stale", async (p) => {
      const later = new Date(Date.now() + 60_000);
      await utimes(join(p, "console", "console.css"), later, later);
    });
    const child = serve(project, databaseUrl);
    const output = recordOutput(child);
    try {
      const [, url] = await output.waitFor(/ready: API (http:\/\/\S+)/, 60_000);
      expect((await fetch(`${url}/console`)).status).toBe(200);
      expect(output.text()).toMatch(/older than console\/.*npm run build:assets/);
      expect(output.text()).not.toMatch(/\n\s+at /);
    } finally {
      await stopGroup(child, 25_000);
    }
  }, 90_000);

  it("refuses to start without a file it serves, in one line naming it and the build, exit 78", async () => {
    const { project, databaseUrl } = await readOnlyProject("no-headers", (p) =>
      rm(join(p, "public", "_headers")),
    );
    const child = serve(project, databaseUrl);
    const output = recordOutput(child);
    try {
      expect(await exitCode(child)).toBe(EX_CONFIG);
      const text = output.text();
      expect(text).toMatch(/public\/ lacks _headers.*npm run build:assets/);
      expect(text).toMatch(/EACCES/);
      expect(text).not.toMatch(/\n\s+at /);
    } finally {
      await stopGroup(child, 5_000);
    }
  }, 90_000);
});
