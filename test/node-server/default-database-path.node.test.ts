import { existsSync, readdirSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordOutput, spawnGroup, stopGroup } from "../../scripts/lib/process-group";
import { APP_SETTING_NAMES } from "../../src/config";
import { registration } from "../node/cluster-process";
import { npmScriptCommand } from "../node/npm-script";

/*
 * `npm run serve` without DATABASE_URL, from a project whose folder has a `#` or a `%` in its
 * name. The default database URL carried the folder as it is, and a `file:` URL's path is read as
 * a URL: `proj#2` stopped the start with "DATABASE_URL must be file:<path> with no … fragment",
 * a DATABASE_URL nobody had set, `100%` with "has a % that is not an escape", and `caf%C3%A9`
 * started on a database in a new folder `café` beside the project.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What `npm run serve` reads from the project (node_modules linked, public/ already built). */
const PROJECT_PARTS = ["package.json", "src", "scripts", "migrations", "console", "public"];

let directory: string;
/** The project copies made so far: all the folder should hold. */
const made: string[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "default-database-path-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A copy of the project at `directory/name`, as a clone into that folder would be. */
async function projectAt(name: string): Promise<string> {
  const project = join(directory, name);
  await mkdir(project);
  made.push(name);
  for (const part of PROJECT_PARTS) {
    await cp(join(ROOT, part), join(project, part), { recursive: true, preserveTimestamps: true });
  }
  await symlink(join(ROOT, "node_modules"), join(project, "node_modules"));
  return project;
}

describe("npm run serve's default database, in a project folder with # or % in its name", () => {
  it.each(["proj#2", "100% credit", "caf%C3%A9"])(
    "starts in %s on .data/credit.db inside the project",
    async (name) => {
      const project = await projectAt(name);
      const { command, args } = npmScriptCommand("serve");
      const unset = Object.fromEntries(APP_SETTING_NAMES.map((setting) => [setting, ""]));
      const child = spawnGroup(
        command,
        args.map((arg) => (arg.startsWith(ROOT) ? join(project, arg.slice(ROOT.length)) : arg)),
        {
          cwd: project,
          env: {
            ...process.env,
            ...unset,
            DATABASE_URL: "",
            HOST: "127.0.0.1",
            PORT: "0",
            SEED: "false",
            WEB_CONCURRENCY: "1",
          },
        },
      );
      try {
        const [, url] = await recordOutput(child).waitFor(/ready: API (http:\/\/\S+)/, 60_000);
        const registered = await fetch(`${url}/register`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(registration(50_000)),
        });
        expect(registered.status).toBe(201);
      } finally {
        await stopGroup(child, 25_000);
      }
      expect(existsSync(join(project, ".data", "credit.db"))).toBe(true);
      // Nothing beside the project (no folder `café`): only the copies this test made.
      expect(readdirSync(directory).sort()).toEqual([...made].sort());
    },
  );
});
