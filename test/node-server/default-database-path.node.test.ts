import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordOutput, spawnGroup, stopGroup } from "../../scripts/lib/process-group";
import { registration } from "../node/cluster-process";
import { copyProject, serveInCopy } from "../node/project-copy";

/*
 * `npm run serve` without DATABASE_URL, from a project whose folder has a `#` or a `%` in its
 * name. The default database URL carried the folder as it is, and a `file:` URL's path is read as
 * a URL: `proj#2` stopped the start with "DATABASE_URL must be file:<path> with no … fragment",
 * a DATABASE_URL nobody had set, `100%` with "has a % that is not an escape", and `caf%C3%A9`
 * started on a database in a new folder `café` beside the project.
 */

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
  made.push(name);
  await copyProject(project);
  return project;
}

describe("npm run serve's default database, in a project folder with # or % in its name", () => {
  it.each(["proj#2", "100% credit", "caf%C3%A9"])(
    "starts in %s on .data/credit.db inside the project",
    async (name) => {
      const project = await projectAt(name);
      const { command, args, cwd, env } = serveInCopy(project, { DATABASE_URL: "" });
      const child = spawnGroup(command, args, { cwd, env });
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
