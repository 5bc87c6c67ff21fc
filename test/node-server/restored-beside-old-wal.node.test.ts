import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { runScript } from "../node/run-script";

/*
 * A backup put in place after a crash, the crashed file's -wal left beside it: SQLite replays that
 * WAL onto the backup's pages, and the start said only that the file is damaged and to restore it
 * from a backup, which the operator had just done.
 */

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "restored-wal-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

it("names the -wal beside a restored file as the likely cause of the damage", async () => {
  const live = join(directory, "credit.db");
  // Migrated under another name and copied: the runtime's closed connection is freed when the
  // garbage collector gets to it, and freed as the last one to this file it checkpointed the old
  // -wal put beside the restored copy and removed it, at a moment of its choosing (a failed run).
  const migrated = join(directory, "migrated.db");
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${migrated}` }));
  await runtime.close();
  await copyFile(migrated, live);
  // The backup: VACUUM INTO lays its pages out anew, as npm run db:backup's copy does.
  const writer = new NativeDatabase(live);
  writer.exec(`VACUUM INTO '${join(directory, "backup.db")}'`);
  // Writes the crash leaves in the -wal only (no checkpoint), copied while the file is still open.
  writer.exec("PRAGMA wal_autocheckpoint = 0");
  writer.exec("CREATE TABLE filler (x BLOB)");
  for (let n = 0; n < 50; n++) writer.exec("INSERT INTO filler VALUES (randomblob(4000))");
  await copyFile(`${live}-wal`, join(directory, "crashed-wal"));
  writer.close();

  await copyFile(join(directory, "backup.db"), live);
  await copyFile(join(directory, "crashed-wal"), `${live}-wal`);
  const result = await runScript("scripts/serve.ts", [], {
    DATABASE_URL: `file:${live}`,
    PORT: "0",
    HOST: "127.0.0.1",
    SEED: "false",
    WEB_CONCURRENCY: "1",
  });
  expect(result.code).toBe(78); // EX_CONFIG: no restart cures it
  expect(result.output).toContain(`database ${live}: is damaged`);
  expect(result.output).toContain("if it was just restored from a backup, the -wal beside it (");
}, 60_000);
