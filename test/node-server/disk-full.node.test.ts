import { execFileSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { consumeIngestBatch } from "../../src/ingest/consumer";
import { DatabaseOpenError } from "../../src/node/database-open";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { getFrom, postTo } from "../node/runtime-requests";
import { expectProblem } from "../support/problem";

/*
 * The disk under the database fills up. SQLite refuses the write (SQLITE_FULL) and rolls it back.
 * The server answered it 500 "something went wrong on our side", logged only "Error", said ready,
 * and replaced its connection after every refusal (and its checkpoint thread every 100 ms) without
 * freeing the old one: two file handles and ~230 KB each, for as long as the disk stayed full. Now
 * a refused write answers 503 (nothing changed, retry later), counts as a database error of kind
 * "full" (the ingest consumer's log names that kind too), /readyz names the full file system, the
 * connections are kept, and once space is freed everything recovers without a restart. A real full file system: a small tmpfs the test mounts
 * (as root; skipped where it may not).
 */

// Mounted in beforeAll, not as the file loads: a run that only collects (`vitest list`) runs no
// afterAll, and left the tmpfs mounted.
let directory = "";
let mounted = false;
let path = "";
let runtime: Runtime | null = null;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "disk-full-"));
  mounted = mountSmallFileSystem(directory);
  path = join(directory, "credit.db");
});

afterAll(async () => {
  await runtime?.close();
  // Lazily: libsql closes a connection's files only once its statements are garbage-collected.
  if (mounted) execFileSync("umount", ["--lazy", directory]);
  if (directory) rmSync(directory, { recursive: true, force: true });
});

function mountSmallFileSystem(at: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", at], { stdio: "ignore" });
    return true;
  } catch {
    return false; // a container without the right to mount
  }
}

/**
 * Takes every byte left on the file system into one file, writing until ENOSPC: a size measured
 * first (statfs) could be gone by the write if the runtime wrote meanwhile, and the write failed.
 */
function fillFileSystem(file: string): void {
  const block = Buffer.alloc(64 * 1024);
  const handle = openSync(file, "w");
  try {
    for (;;) writeSync(handle, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(handle);
  }
}

/** This process's open files on the small file system (the server's connections, all threads). */
function openDatabaseFiles(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(directory);
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

const customer = (n: number) => ({
  first_name: "Disk",
  last_name: "Full",
  age: 30,
  monthly_income: 50_000,
  phone_number: 7_100_000_000 + n,
});

const request = (url: string, body?: unknown) =>
  body === undefined ? getFrom(runtime as Runtime, url) : postTo(runtime as Runtime, url, body);

describe("a database whose disk fills up", () => {
  it("answers writes 503, is not ready while the disk is full, and takes writes again once space is freed", async ({
    skip,
  }) => {
    skip(!mounted, "cannot mount a tmpfs here (root in a container allowed to mount)");
    runtime = await openRuntime(
      settingsFromEnv({ DATABASE_URL: `file:${path}`, RATE_LIMIT_PER_MINUTE: "100000" }),
    );
    const borrower = await request("/register", customer(0));
    expect(borrower.status).toBe(201);
    const { customer_id } = (await borrower.json()) as { customer_id: number };
    let acknowledged = 1;
    const filler = join(directory, "filler");
    fillFileSystem(filler);

    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    let refusals = 0;
    let refused: Response | null = null;
    let filesWhenFull = 0;
    try {
      // SQLite reuses the WAL's room for a while; sooner or later a page has nowhere to go.
      for (let n = 1; n < 5_000 && refused === null; n++) {
        const response = await request("/register", customer(n));
        if (response.status === 201) acknowledged++;
        else refused = response;
      }
      if (refused === null) throw new Error("5,000 registrations fitted on a full file system");
      refusals++;
      filesWhenFull = openDatabaseFiles();
      for (let n = 5_000; n < 5_200; n++) {
        const response = await request("/register", customer(n));
        if (response.status === 201) acknowledged++;
        else refusals++;
      }
      await sleep(1_000); // ten of the checkpoint thread's ticks, each failing
      expect(errors.mock.calls.join("\n")).toMatch(/database out of space \(SQLITE_FULL\)/);

      // An ingest chunk that was queued before the disk filled: retried later, and the log says why.
      const settled: string[] = [];
      const rows = Array.from({ length: 200 }, (_, i) => ({
        row: i + 2,
        customer_id: 50_000 + i,
        first_name: "Queued",
        last_name: "Chunk",
        age: 40,
        phone_number: 7_200_000_000 + i,
        monthly_salary: 60_000,
        approved_limit: 2_200_000,
      }));
      await consumeIngestBatch(
        {
          queue: "credit-ingest",
          messages: [
            {
              id: "queued-before-full",
              body: { job_id: "disk-full", seq: 0, kind: "customers", rows },
              attempts: 1,
              ack: () => settled.push("ack"),
              retry: () => settled.push("retry"),
            },
          ],
        },
        runtime.db,
        { ingestRetryDelaySeconds: 1 },
      );
      expect(settled).toEqual(["retry"]);
      expect(warnings.mock.calls.join("\n")).toMatch(/"what":"chunk failed".*"kind":"full"/);
    } finally {
      errors.mockRestore();
      warnings.mockRestore();
    }
    const problem = await expectProblem(refused, 503);
    expect(problem.detail).toBe(
      "The database is out of storage space. Nothing was changed; retry the request later.",
    );
    expect(refused.headers.get("Retry-After")).toBe("30");
    // The same connections throughout, not one more per refusal or per tick.
    expect(refusals).toBeGreaterThan(150);
    expect(openDatabaseFiles()).toBeLessThanOrEqual(filesWhenFull + 2);

    const notReady = await expectProblem(await request("/readyz"), 503, "database");
    expect(notReady.errors[0]?.message).toMatch(/^file system is full \(\d+ KiB available\)$/);
    const counted =
      await runtime.metrics?.registry.getSingleMetricAsString("database_errors_total");
    expect(counted).toContain(`database_errors_total{kind="full"} ${refusals}`);

    rmSync(filler);
    expect((await request("/readyz")).status).toBe(200);
    expect((await request("/register", customer(9_999))).status).toBe(201);
    acknowledged++;
    const loan = { customer_id, loan_amount: 10_000, interest_rate: 12, tenure: 12 };
    expect((await request("/create-loan", loan)).status).toBe(201);

    // Every acknowledged write is stored, no refused one is, and the file is sound.
    await runtime.close();
    runtime = null;
    const check = new NativeDatabase(path);
    try {
      expect(check.prepare("SELECT count(*) AS n FROM customers").get([])).toMatchObject({
        n: acknowledged,
      });
      expect(check.prepare("SELECT count(*) AS n FROM loans").get([])).toMatchObject({ n: 1 });
      expect(check.prepare("PRAGMA integrity_check").get([])).toMatchObject({
        integrity_check: "ok",
      });
    } finally {
      check.close();
    }
  });

  // At the start, before any request: the migrations are written through @libsql/client.
  it("stops the start with one line when the migrations cannot be written on a full disk", async ({
    skip,
  }) => {
    skip(!mounted, "cannot mount a tmpfs here (root in a container allowed to mount)");
    // Room to open the file and to record the migrations in d1_migrations, not to write them.
    await onSmallFileSystem(50_000, async (database) => {
      // Before: LibsqlError "SQLITE_FULL: database or disk is full", printed with its stack.
      await expect(startOn(database)).rejects.toThrow(migrationsFull(database));
    });
  });

  // applyMigrations' own CREATE TABLE of d1_migrations, before any file, needs four WAL pages
  // (the table, its UNIQUE index, sqlite_sequence, the schema): 44 KiB free holds the open's
  // header page and 32 KiB -shm, not those. It was LibsqlError's stack trace: not a file's failure.
  it("stops the start with one line when d1_migrations itself cannot be created on a full disk", async ({
    skip,
  }) => {
    skip(!mounted, "cannot mount a tmpfs here (root in a container allowed to mount)");
    const copy = mkdtempSync(join(tmpdir(), "disk-full-copy-"));
    try {
      await onSmallFileSystem(128 * 1024 - 44 * 1024, async (database) => {
        await expect(startOn(database)).rejects.toThrow(migrationsFull(database));
        for (const suffix of ["", "-wal"]) {
          if (existsSync(database + suffix))
            copyFileSync(database + suffix, join(copy, `credit.db${suffix}`));
        }
      });
      // The refused write was the CREATE TABLE: not even d1_migrations was committed.
      const check = new NativeDatabase(join(copy, "credit.db"));
      try {
        expect(check.prepare("SELECT name FROM sqlite_schema").all([])).toEqual([]);
      } finally {
        check.close();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  // 32 KiB free holds the -shm's first 32 KiB region, not the database file's pages as well: the
  // server's own connection (libsql's native one) fails its open with SQLITE_IOERR_SHMSIZE. It was
  // that "disk I/O error" stack trace and exit 1, and nothing removed what the open had created.
  it("stops the start with one line when the database cannot be opened on a full disk", async ({
    skip,
  }) => {
    skip(!mounted, "cannot mount a tmpfs here (root in a container allowed to mount)");
    await onSmallFileSystem(128 * 1024 - 32 * 1024, async (database) => {
      await expect(startOn(database)).rejects.toThrow(
        new DatabaseOpenError(
          `database ${database}: cannot be opened: its file system is full (SQLITE_IOERR_SHMSIZE); free space beside it (nothing was written to it; start again once there is room)`,
          "may-pass",
        ),
      );
      // What the failed open created (the file's header page, the -wal, the -shm) is removed.
      for (const suffix of ["", "-wal", "-shm"]) expect(existsSync(database + suffix)).toBe(false);
    });
  });
});

/** A 128 KiB tmpfs with `fillerBytes` taken, and the path of a database file on it. */
async function onSmallFileSystem(
  fillerBytes: number,
  run: (database: string) => Promise<void>,
): Promise<void> {
  const small = mkdtempSync(join(tmpdir(), "disk-full-start-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=128k", "tmpfs", small], { stdio: "ignore" });
  const warnings = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    writeFileSync(join(small, "filler"), Buffer.alloc(fillerBytes));
    await run(join(small, "credit.db"));
  } finally {
    warnings.mockRestore();
    execFileSync("umount", ["--lazy", small]);
    rmSync(small, { recursive: true, force: true });
  }
}

const startOn = (database: string) =>
  openRuntime(settingsFromEnv({ DATABASE_URL: `file:${database}` }), { confirmWritable: true });

const migrationsFull = (database: string) =>
  new DatabaseOpenError(
    `database ${database}: the migrations could not be written: its file system is full (SQLITE_FULL); free space beside it (nothing of the migration that failed was applied; start again once there is room)`,
    "may-pass",
  );
