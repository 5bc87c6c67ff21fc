import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { noTelemetry } from "../../src/telemetry";
import { registration } from "../node/cluster-process";
import { chunk, customerRow, deliverOnce } from "../support/ingest";
import { openMigratedLibsql } from "../support/migrated-libsql";
import { expectProblem } from "../support/problem";

/*
 * The database file's header overwritten while the server runs (a disk, a file edited by hand):
 * SQLite reports SQLITE_NOTADB ("file is not a database"), not SQLITE_CORRUPT, once a connection
 * reads the file's first page again. The request's log line and a dead chunk's reason said
 * SQLITE_CORRUPT all the same, sending the operator to look for one bad page. Now they name the
 * code SQLite reported (the reason and the log stay fixed texts: no value of the request).
 *
 * When a connection reads that page again: another connection's write (here the test's
 * checkpoint) makes every other one drop its cached pages at its next transaction. One that
 * still holds the page can write it back into the WAL, which every connection then reads instead
 * of the file (here the test's PRAGMA user_version, which lives in the header).
 */

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "overwritten-header-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/**
 * Overwrites the 16 bytes that say "SQLite format 3" in the file at `path`, which the server
 * holds open, through `bystander`: a connection of the test's, left holding the first page as it
 * was. Its checkpoint first puts every page in the file and makes the server's connection read
 * the file again.
 */
async function overwriteHeader(path: string, bystander: InstanceType<typeof NativeDatabase>) {
  expect(bystander.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true).get([])).toEqual([0, 0, 0]);
  bystander.prepare("SELECT count(*) FROM customers").raw(true).get([]);
  const file = await open(path, "r+");
  await file.write(Buffer.alloc(16, 0xab), 0, 16, 0);
  await file.close();
}

describe("a database file whose header is overwritten while the server runs", () => {
  it("answers 503 saying the file is no database, logs SQLITE_NOTADB, not SQLITE_CORRUPT, counting it damaged", async () => {
    const path = join(directory, "requests.db");
    const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
    const bystander = new NativeDatabase(path, { timeout: 5_000 });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const registered = await runtime.fetch(
        new Request("http://127.0.0.1/register", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(registration(100_000)),
        }),
      );
      expect(registered.status).toBe(201);
      const { customer_id } = (await registered.json()) as { customer_id: number };
      await overwriteHeader(path, bystander);

      const read = await runtime.fetch(new Request(`http://127.0.0.1/view-loans/${customer_id}`));
      // It said "a part of it this request needs cannot be read", as for a page SQLite cannot read.
      expect(await expectProblem(read, 503)).toMatchObject({
        type: "/problems/service-unavailable",
        detail:
          "The database is damaged: its file no longer reads as a SQLite database. Nothing was changed; the database must be restored from a backup before this request can succeed.",
      });
      expect(read.headers.get("retry-after")).toBeNull();
      const logged = errors.mock.calls.map((call) => JSON.parse(String(call[0])));
      expect(logged).toContainEqual(
        expect.objectContaining({ level: "error", what: "database damaged (SQLITE_NOTADB)" }),
      );
      expect(JSON.stringify(logged)).not.toContain("SQLITE_CORRUPT");
      // The once-per-process line said "requests that need the damaged part answer 503", as for
      // one page SQLite cannot read; a header that is not a database's leaves no part readable.
      expect(logged.filter((line) => String(line.what).startsWith("the database file"))).toEqual([
        {
          level: "error",
          what: `the database file ${path} is damaged (SQLITE_NOTADB): its header no longer reads as a SQLite database's, so none of it can be read: requests that need the database answer 503 and nothing of them is written; stop the server, keep the damaged file aside and restore the latest backup (npm run db:backup) to its path, then start again (docs/operations.md, "A damaged database file")`,
          file: path,
          error: "SQLITE_NOTADB",
        },
      ]);

      const ready = await expectProblem(
        await runtime.fetch(new Request("http://127.0.0.1/readyz")),
        503,
        "database",
      );
      expect(ready.errors[0]?.message).toBe(
        "file is damaged (SQLITE_NOTADB); restore it from a backup",
      );
      const scraped = await (await runtime.fetch(new Request("http://127.0.0.1/metrics"))).text();
      expect(scraped).toMatch(/^database_errors_total\{kind="damaged"\} 1$/m);
    } finally {
      errors.mockRestore();
      bystander.close();
      await runtime.close();
    }
  }, 60_000);

  it("records a chunk that meets it dead with SQLITE_NOTADB, once its death can be written", async () => {
    const path = join(directory, "ingest.db");
    const made = await openMigratedLibsql(`file:${path}`);
    const bystander = new NativeDatabase(path, { timeout: 5_000 });
    const deadChunks = () =>
      bystander
        .prepare("SELECT seq, attempts, last_error FROM ingest_chunks WHERE status = 'dead'")
        .raw(true)
        .all([]);
    try {
      expect(await deliverOnce(made.db, chunk("header", 0, "customers", [customerRow(1)]))).toEqual(
        ["ack"],
      );
      await overwriteHeader(path, bystander);
      const next = chunk("header", 1, "customers", [customerRow(2)]);

      // While every connection reads the overwritten header, the record of the chunk's death
      // fails as well: retried, as any chunk whose death cannot be written.
      expect(await deliverOnce(made.db, next)).toEqual(["retry"]);

      // The bystander writes the header back into the WAL right after the chunk failed (its
      // metric is counted between the two), as a cluster's other connection could.
      const restoringHeader = {
        ...noTelemetry,
        recordDatabaseError: () => bystander.exec("PRAGMA user_version = 7"),
      };
      expect(await deliverOnce(made.db, next, 2, restoringHeader)).toEqual(["ack"]);
      expect(deadChunks()).toEqual([
        [
          1,
          2,
          'the database is damaged: its file no longer reads as a SQLite database (SQLITE_NOTADB). Nothing of the chunk was written, and it is not retried: no retry helps until the database is restored from a backup (docs/operations.md, "A damaged database file"); send its rows again then',
        ],
      ]);
      expect(bystander.prepare("SELECT count(*) FROM customers").raw(true).get([])).toEqual([1]);
    } finally {
      bystander.close();
      made.close();
    }
  }, 60_000);
});
