import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startOutcome } from "../node/serve-process";
import { migrateFileUpTo } from "../support/migrated-libsql";

/*
 * An upgrade whose migration the database refuses: here an index an operator added by hand under
 * the name 0012 gives its own. The start printed the engine's stack trace, naming no file, and
 * exited 1, so systemd restarted it into the same failure five times. Now it says which file
 * failed, that nothing of it was applied, and what to do; exit code 78.
 */

const FAILING = "0012_ingest_retention.sql";
let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "failed-migration-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

it("names the migration the database refused, and what to do, in one line with exit code 78", async () => {
  const path = join(directory, "credit.db");
  await migrateFileUpTo(path, FAILING);
  const byHand = new NativeDatabase(path);
  byHand.exec("CREATE INDEX ingest_chunks_updated_at_idx ON ingest_chunks (updated_at)");
  byHand.close();

  const { code, output } = await startOutcome({
    DATABASE_URL: `file:${path}`,
    WEB_CONCURRENCY: "1",
  });

  expect(output).toContain(
    `database ${path}: migration ${FAILING} failed (SQLITE_ERROR: index ingest_chunks_updated_at_idx already exists); nothing of it was applied, and the migrations before it stay applied. Fix what SQLite names and start again, or restore the backup taken before upgrading and run the release it came from (docs/databases.md, "Upgrading")`,
  );
  expect(output).not.toContain("    at ");
  expect(code).toBe(78);
  // Nothing of it: the hand-made index alone, and the file not recorded.
  const after = new NativeDatabase(path);
  try {
    expect(after.prepare("SELECT name FROM d1_migrations WHERE name = ?").all(FAILING)).toEqual([]);
    expect(
      after
        .prepare("SELECT name FROM sqlite_master WHERE name = 'ingest_chunks_job_updated_at_idx'")
        .all(),
    ).toEqual([]);
  } finally {
    after.close();
  }
});
