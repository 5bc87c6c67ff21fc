import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { DrizzleQueryError, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseErrorKind } from "../../src/db/error-kind";
import {
  databaseDamage,
  isKeyTakenError,
  isMissingSchemaError,
  isStorageFullError,
  isTransientDatabaseError,
  mayHaveBeenApplied,
} from "../../src/db/errors";
import { idempotencyKeys } from "../../src/db/schema";
import type { LibsqlDatabase } from "../../src/node/database";
import { openMigratedLibsql, storedResponse } from "../support/migrated-libsql";

/*
 * The error checks of the data layer against libSQL's real errors (the D1 ones are exercised by
 * the workers project): a taken idempotency key, from a batch and from a single statement, a
 * database locked by another connection, and a full one.
 */

let directory: string;
let url: string;
let database: LibsqlDatabase;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "db-errors-"));
  url = `file:${join(directory, "e.db")}`;
  database = await openMigratedLibsql(url);
});
afterAll(async () => {
  database.close();
  await rm(directory, { recursive: true, force: true });
});

async function errorOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected the work to fail");
}

describe("database errors from libSQL", () => {
  it("recognises a taken idempotency key, in a batch and alone", async () => {
    const { db } = database;
    await db.insert(idempotencyKeys).values(storedResponse("taken"));
    const fromBatch = await errorOf(() =>
      db.batch([db.insert(idempotencyKeys).values(storedResponse("taken"))]),
    );
    const alone = await errorOf(() => db.insert(idempotencyKeys).values(storedResponse("taken")));
    expect(isKeyTakenError(fromBatch)).toBe(true);
    expect(isKeyTakenError(alone)).toBe(true);
    expect(isTransientDatabaseError(fromBatch)).toBe(false);
  });

  it("does not take another constraint for a taken key", async () => {
    const error = await errorOf(() =>
      database.client.execute("INSERT INTO loans (customer_id) VALUES (NULL)"),
    );
    expect(isKeyTakenError(error)).toBe(false);
    expect(isTransientDatabaseError(error)).toBe(false);
  });

  it("calls a database locked by another connection transient", async () => {
    const holder = await database.client.transaction("write");
    const impatient = createClient({ url, timeout: 1 });
    try {
      await holder.execute("DELETE FROM idempotency_keys WHERE key = 'none'");
      const error = await errorOf(() =>
        impatient.execute("DELETE FROM idempotency_keys WHERE key = 'none'"),
      );
      expect(isTransientDatabaseError(error)).toBe(true);
    } finally {
      await holder.rollback();
      impatient.close();
    }
  });

  it("reads the database's words in drizzle's error for a lone statement, not the values it repeats", async () => {
    // drizzle's error says "Failed query: <statement> params: <values>": a value in SQLite's words
    // was read as the database's own (a name "SQLITE_CORRUPT" on a locked write: damaged).
    const words =
      "SQLITE_CORRUPT: file is not a database; database or disk is full; no such table: t";
    const { db } = database;
    await db.insert(idempotencyKeys).values(storedResponse(words));
    const taken = await errorOf(() => db.insert(idempotencyKeys).values(storedResponse(words)));
    expect(taken).toBeInstanceOf(DrizzleQueryError);
    expect(isKeyTakenError(taken)).toBe(true);
    expect(databaseDamage(taken)).toBeNull();
    expect(isStorageFullError(taken)).toBe(false);
    expect(isMissingSchemaError(taken)).toBe(false);
    expect(databaseErrorKind(taken)).toBe("constraint");

    const holder = await database.client.transaction("write");
    const impatient = createClient({ url, timeout: 1 });
    try {
      await holder.execute("DELETE FROM idempotency_keys WHERE key = 'none'");
      const locked = await errorOf(() =>
        drizzle(impatient).delete(idempotencyKeys).where(eq(idempotencyKeys.key, words)),
      );
      expect(locked).toBeInstanceOf(DrizzleQueryError);
      expect(isTransientDatabaseError(locked)).toBe(true);
      expect(databaseDamage(locked)).toBeNull();
      expect(databaseErrorKind(locked)).toBe("busy");
    } finally {
      await holder.rollback();
      impatient.close();
    }
  });

  it("recognises a full database, and does not call it busy", async () => {
    // SQLite's own SQLITE_FULL, as a full disk raises it: a page limit the file has reached.
    const capped = createClient({ url: `file:${join(directory, "capped.db")}` });
    try {
      await capped.execute("CREATE TABLE filler (blob BLOB)");
      await capped.execute("PRAGMA max_page_count = 3");
      const error = await errorOf(() =>
        capped.execute("INSERT INTO filler VALUES (randomblob(100000))"),
      );
      expect(isStorageFullError(error)).toBe(true);
      expect(isTransientDatabaseError(error)).toBe(false);
      expect(databaseErrorKind(error)).toBe("full");
    } finally {
      capped.close();
    }
  });

  it("calls a libSQL server's 5xx, 429 and a refused connection transient, a 401 not", () => {
    const http = (status: number) =>
      Object.assign(new Error(`Server returned HTTP status ${status}`), { status });
    expect(isTransientDatabaseError(new Error("wrapped", { cause: http(503) }))).toBe(true);
    expect(isTransientDatabaseError(http(429))).toBe(true);
    expect(isTransientDatabaseError(http(401))).toBe(false);
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
    });
    expect(isTransientDatabaseError(refused)).toBe(true);
  });
});

describe("D1's errors", () => {
  it("calls D1's transient failures transient, and its SQL errors not", () => {
    for (const message of [
      "D1_ERROR: Network connection lost.",
      "D1_ERROR: D1 DB is overloaded. Requests queued for too long.",
      "D1_ERROR: Internal error in D1 DB storage caused object to be reset.",
      "D1_ERROR: Durable Object reset because its code was updated.",
      "D1_ERROR: Cannot resolve D1 DB due to transient issue on remote node.",
    ]) {
      expect(isTransientDatabaseError(new Error(message)), message).toBe(true);
    }
    for (const message of [
      "D1_ERROR: too many SQL variables at offset 120: SQLITE_ERROR",
      "D1_ERROR: no such table: loans: SQLITE_ERROR",
      "D1_ERROR: UNIQUE constraint failed: idempotency_keys.key: SQLITE_CONSTRAINT",
    ]) {
      expect(isTransientDatabaseError(new Error(message)), message).toBe(false);
    }
  });

  it("may have applied a write D1 lost the connection on, whatever values drizzle's error repeats", () => {
    // A name in SQLite's words for a refusal made "Nothing was changed" of a write that may have
    // committed: a client without a key that sent it again did it twice.
    const lost = new DrizzleQueryError(
      'insert into "customers" ("first_name") values (?)',
      ["database is locked"],
      new Error("D1_ERROR: Network connection lost."),
    );
    expect(isTransientDatabaseError(lost)).toBe(true);
    expect(mayHaveBeenApplied(lost)).toBe(true);
  });

  it("recognises a full database in SQLite's words, as D1 passes them on", () => {
    // Local D1 refuses the PRAGMAs that could fill it, so only the wording is checked here.
    const full = new Error("D1_ERROR: database or disk is full: SQLITE_FULL");
    expect(isStorageFullError(full)).toBe(true);
    expect(databaseErrorKind(full)).toBe("full");
    expect(isStorageFullError(new Error("D1_ERROR: no such table: loans: SQLITE_ERROR"))).toBe(
      false,
    );
  });

  it("recognises a damaged file as @libsql/client and D1 report it, and nothing else", async () => {
    // A real damaged page (the table's root overwritten) and a file that is not SQLite's.
    const damaged = join(directory, "damaged.db");
    const maker = createClient({ url: `file:${damaged}` });
    await maker.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
    await maker.execute("INSERT INTO t (body) VALUES ('x')");
    const root = Number(
      (await maker.execute("SELECT rootpage FROM sqlite_schema WHERE name = 't'")).rows[0]?.[0],
    );
    maker.close();
    const file = await open(damaged, "r+");
    await file.write(Buffer.alloc(64, 0xab), 0, 64, (root - 1) * 4096);
    await file.close();
    const reader = createClient({ url: `file:${damaged}` });
    const corrupt = await errorOf(() => reader.execute("SELECT body FROM t"));
    reader.close();
    const text = join(directory, "notes.txt");
    await writeFile(text, "not a database, but long enough to be read as one's header\n".repeat(4));
    const notADatabase = await errorOf(async () => {
      const client = createClient({ url: `file:${text}` });
      try {
        await client.execute("SELECT 1 FROM sqlite_schema");
      } finally {
        client.close();
      }
    });
    // Each named by the code SQLite reported, which the logs and a dead chunk's reason give.
    for (const [error, code] of [
      [corrupt, "SQLITE_CORRUPT"],
      [notADatabase, "SQLITE_NOTADB"],
      [new Error("D1_ERROR: database disk image is malformed: SQLITE_CORRUPT"), "SQLITE_CORRUPT"],
      [new Error("D1_ERROR: file is not a database: SQLITE_NOTADB"), "SQLITE_NOTADB"],
      [new Error("Failed query: select …", { cause: corrupt }), "SQLITE_CORRUPT"],
      // A value drizzle's error repeats is no code: the driver's error below it is.
      [
        new DrizzleQueryError("select … where name = ?", ["SQLITE_NOTADB"], corrupt as Error),
        "SQLITE_CORRUPT",
      ],
    ] as const) {
      expect(databaseDamage(error), String(error)).toBe(code);
      expect(isTransientDatabaseError(error), String(error)).toBe(false);
    }
    for (const message of [
      "D1_ERROR: no such table: loans: SQLITE_ERROR",
      "D1_ERROR: database or disk is full: SQLITE_FULL",
      "SQLITE_BUSY: database is locked",
    ]) {
      expect(databaseDamage(new Error(message)), message).toBeNull();
    }
  });
});
