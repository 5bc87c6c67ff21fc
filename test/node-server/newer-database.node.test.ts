import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNewerDatabase, NEWER_MIGRATION } from "../node/newer-database";
import { startServeProcess } from "../node/serve-process";

/*
 * `npm run serve` of a release on a database a newer release migrated (a rollback). It started,
 * said ready, /readyz answered 200, and a registration was a 500 (the newer release's NOT NULL
 * column). Now the start stops with one line naming the migration and what to do, exit code 78,
 * and the file is as it was.
 */

let directory: string;
let newer: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "newer-database-"));
  newer = join(directory, "newer.db");
  await createNewerDatabase(newer);
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** How `npm run serve` ended on `path`: its exit line and output, or null if it said ready. */
async function startFailure(path: string, webConcurrency: string): Promise<string | null> {
  return startServeProcess({ DATABASE_URL: `file:${path}`, WEB_CONCURRENCY: webConcurrency }).then(
    async (server) => {
      await server.stop();
      return null;
    },
    (error: Error) => error.message,
  );
}

describe("npm run serve on a database a newer release migrated", () => {
  it.each([
    ["one process", "1"],
    ["a cluster", "2"],
  ])(
    "refuses to start, in one line naming the migration, with %s",
    async (_, processes) => {
      const path = join(directory, `served-by-${processes}.db`);
      await copyFile(newer, path);
      const before = digest(path);
      expect(await startFailure(path, processes)).toBe(
        `exited with 78 before printing /ready: API (http:\\/\\/\\S+)/:\ndatabase ${path}: was migrated by a newer release (${NEWER_MIGRATION}: not among this release's migrations); nothing was written to it. Run the newer release, or restore the backup taken before upgrading (docs/databases.md, "Upgrading")\n`,
      );
      expect(digest(path)).toBe(before);
      expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false);
    },
    90_000,
  );
});
