import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFile, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LibsqlDatabase, openLibsqlDatabase } from "../../src/node/database";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { type CheckpointProgress, startWalCheckpointer } from "../../src/node/wal-checkpointer";
import { until } from "../node/until";

/*
 * The WAL is folded into the database file by a thread (src/node/wal-checkpointer.ts), not by the
 * commit that crosses SQLite's threshold inside a request. What shows it: the main file's size,
 * which grows only when a checkpoint copies pages into it.
 */

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "wal-checkpointer-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const PAGE = 4_096;
/** 1,500 commits of a page each: past SQLite's own threshold (1,000), under the app's (10,000). */
async function writePages(database: Pick<LibsqlDatabase, "db">, commits: number): Promise<void> {
  await database.db.run(sql`CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, b BLOB)`);
  for (let n = 0; n < commits; n += 1) {
    await database.db.run(sql`INSERT INTO filler (b) VALUES (zeroblob(${PAGE - 200}))`);
  }
}

/** Waits for the thread to report a checkpoint that copied every frame of a WAL of `frames` or more. */
function completeCheckpoint(seen: CheckpointProgress[], frames: number) {
  const complete = (p: CheckpointProgress) =>
    p.walFrames >= frames && p.copiedFrames === p.walFrames;
  return until(
    async () => seen.find(complete),
    (found) => found !== undefined,
    10_000,
  );
}

describe("the WAL checkpointer", () => {
  it("leaves the app's connection to commit without checkpointing, and copies its pages into the file itself", async () => {
    const path = join(directory, "a.db");
    const database = await openLibsqlDatabase(`file:${path}`);
    try {
      await writePages(database, 1_500);
      // No checkpoint ran in any of those commits: the pages are all still in the WAL.
      const before = (await stat(path)).size;
      expect(before).toBeLessThan(100 * PAGE);

      const seen: CheckpointProgress[] = [];
      const checkpointer = startWalCheckpointer(path, {
        intervalMs: 10,
        onCheckpoint: (progress) => seen.push(progress),
      });
      try {
        // The thread reports a checkpoint that copied every frame of the WAL…
        const complete = await completeCheckpoint(seen, 1_500);
        expect(complete?.busy).toBe(0);
        // …and the pages are in the database file.
        expect((await stat(path)).size).toBeGreaterThanOrEqual(1_500 * PAGE);
      } finally {
        await checkpointer.stop();
      }
      // Stopped: nothing copies any more, and the app's connection carries on writing.
      const sizeAfterStop = (await stat(path)).size;
      await writePages(database, 50);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await stat(path)).size).toBe(sizeAfterStop);
    } finally {
      database.close();
    }
  });

  it.each([
    ["is not a database", Buffer.alloc(2 * PAGE, "x")],
    ["is empty (no WAL yet)", Buffer.alloc(0)],
  ])(
    "carries on after its checkpoints fail while the file %s, once it is a WAL database",
    async (_, content) => {
      const path = join(directory, `d-${content.length}.db`);
      // Every checkpoint fails meanwhile (one that ran would report, even with nothing to copy).
      await writeFile(path, content);
      const seen: CheckpointProgress[] = [];
      const checkpointer = startWalCheckpointer(path, {
        intervalMs: 10,
        onCheckpoint: (progress) => seen.push(progress),
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(seen).toEqual([]);
        // The same file, now this product's WAL database (the server refuses to open another
        // application's): the thread, still running, checkpoints it.
        const valid = join(directory, `d-${content.length}-valid.db`);
        const made = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${valid}` }));
        await writePages(made, 1);
        await made.close();
        await copyFile(valid, path);
        const database = await openLibsqlDatabase(`file:${path}`);
        try {
          await writePages(database, 100);
          const recovered = await completeCheckpoint(seen, 100);
          expect(recovered?.busy).toBe(0);
        } finally {
          database.close();
        }
      } finally {
        await checkpointer.stop();
      }
    },
  );

  it("leaves the WAL to another connection's checkpoint, without calling that a failure", async () => {
    const path = join(directory, "e.db");
    const database = await openLibsqlDatabase(`file:${path}`);
    // A reader on an older snapshot: a TRUNCATE checkpoint must wait for it, and waits holding
    // the checkpoint lock, as a connection's own checkpoint past its threshold holds it.
    await writePages(database, 20);
    const reader = new Database(path);
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM filler").get();
    await writePages(database, 20);
    // The other process asks again while the lock is someone else's (SQLite does not wait for it).
    const other = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require("libsql"))(process.argv[1]);
         db.exec("PRAGMA busy_timeout = 20000");
         const truncate = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true);
         while (truncate.get()[1] === -1);`,
        path,
      ],
      { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: "inherit" },
    );
    let ended = false;
    const exited = once(other, "exit").finally(() => {
      ended = true;
    });
    const probe = new Database(path);
    const warn = vi.spyOn(console, "warn");
    const warnings = () => warn.mock.calls.flat().join("\n");
    let deferred = 0;
    const seen: CheckpointProgress[] = [];
    let checkpointer: ReturnType<typeof startWalCheckpointer> | undefined;
    try {
      // Started once the other process holds the lock: busy, with no frame counts.
      const checkpointProbe = probe.prepare("PRAGMA wal_checkpoint(PASSIVE)").raw(true);
      await until(
        async () => (ended ? "ended" : checkpointProbe.get([])),
        (row) => row === "ended" || (Array.isArray(row) && row[0] === 1 && row[1] === -1),
        10_000,
      );
      expect(ended).toBe(false);
      checkpointer = startWalCheckpointer(path, {
        intervalMs: 10,
        onCheckpoint: (progress) => seen.push(progress),
        onDeferred: () => deferred++,
        deferredWarningMs: 300,
      });
      // Each tick meanwhile finds the lock taken, and leaves the WAL to the other process; held
      // for longer than the warning's time, the lock is named once.
      await until(
        async () => deferred >= 3 && warnings().includes("held the WAL checkpoint lock"),
        (done) => done,
        10_000,
      );
      expect(seen).toEqual([]);
      // The reader ends, the other checkpoint finishes, and the thread checkpoints again.
      reader.exec("COMMIT");
      await exited;
      await writePages(database, 10);
      await completeCheckpoint(seen, 10);
      expect(warnings()).not.toContain("checkpoint failed");
      expect(warnings().match(/held the WAL checkpoint lock/g)).toHaveLength(1);
    } finally {
      warn.mockRestore();
      other.kill();
      await checkpointer?.stop();
      if (reader.inTransaction) reader.exec("ROLLBACK");
      reader.close();
      probe.close();
      database.close();
    }
  }, 40_000);

  it("stops when asked, without being ended, however often asked and whatever its file", async () => {
    const path = join(directory, "b.db");
    const database = await openLibsqlDatabase(`file:${path}`);
    database.close();
    const checkpointer = startWalCheckpointer(path, { intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await Promise.all([checkpointer.stop(), checkpointer.stop()])).toEqual([
      "stopped",
      "stopped",
    ]);
    expect(await checkpointer.stop()).toBe("stopped");
    // A file it cannot even open (its folder is missing): it keeps trying, and still stops.
    const nowhere = startWalCheckpointer(join(directory, "missing", "x.db"), { intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await nowhere.stop()).toBe("stopped");
  });

  it("runs in the runtime that owns a file database, which stops it before it closes", async () => {
    const path = join(directory, "c.db");
    const runtime = await openRuntime(
      settingsFromEnv({
        DATABASE_URL: `file:${path}`,
        AS_OF_DATE: "2025-06-15",
        INGEST_TOKEN: "test-ingest-token",
        SEED: "false",
      }),
    );
    try {
      const migrated = (await stat(path)).size;
      await writePages(runtime, 1_500);
      const grown = await until(
        async () => (await stat(path)).size,
        (size) => size >= migrated + 1_500 * PAGE,
        10_000,
      );
      expect(grown).toBeGreaterThanOrEqual(migrated + 1_500 * PAGE);
    } finally {
      await runtime.close();
    }
    // Closed: the runtime's last checkpoint (TRUNCATE) left nothing in the WAL.
    expect((await stat(`${path}-wal`).catch(() => ({ size: 0 }))).size).toBe(0);
  });
});
