import { env } from "cloudflare:test";

/**
 * The real D1 binding, except that its second batch — the write that follows a read — fails:
 * before committing (nothing written), or after (written, but the caller never hears so).
 * Batches sent through a session (`withSession`) count and fail the same way.
 */
export function failingWriteDb(mode: "before-commit" | "after-commit"): D1Database {
  return failingBatchesDb((batch) => (batch === 1 ? "pass" : mode));
}

/** The real D1 binding, except that each of the batches numbered in `failing` fails unsent. */
export function unavailableDb(failing: readonly number[]): D1Database {
  return failingBatchesDb((batch) => (failing.includes(batch) ? "before-commit" : "pass"));
}

/**
 * The real D1 binding, except that each of the batches numbered in `failing` fails unsent as D1
 * reports a damaged database: SQLite's SQLITE_CORRUPT (a page it cannot read) or SQLITE_NOTADB
 * (a header that is not SQLite's), in D1's wording.
 */
export function damagedDb(failing: readonly number[], code: Damage = "SQLITE_CORRUPT"): D1Database {
  return failingBatchesDb((batch) => (failing.includes(batch) ? code : "pass"));
}

/** D1's message for each damage: SQLite's words, then its code. */
const D1_DAMAGE_MESSAGES = {
  SQLITE_CORRUPT: "D1_ERROR: database disk image is malformed: SQLITE_CORRUPT",
  SQLITE_NOTADB: "D1_ERROR: file is not a database: SQLITE_NOTADB",
};
type Damage = keyof typeof D1_DAMAGE_MESSAGES;

type BatchFate = "pass" | "before-commit" | "after-commit" | Damage;

/** The real D1 binding, its nth batch (from 1) passed, or failed before or after committing. */
function failingBatchesDb(fate: (batch: number) => BatchFate | Promise<BatchFate>): D1Database {
  let batches = 0;
  function failing<T extends D1Database | D1DatabaseSession>(database: T): T {
    return new Proxy(database, {
      get(target, property) {
        if (property === "batch") {
          return async (statements: D1PreparedStatement[]) => {
            batches++;
            const outcome = await fate(batches);
            if (outcome === "pass") return target.batch(statements);
            if (outcome === "after-commit") await target.batch(statements);
            if (outcome in D1_DAMAGE_MESSAGES)
              throw new Error(D1_DAMAGE_MESSAGES[outcome as Damage]);
            throw new Error("D1_ERROR: Network connection lost.");
          };
        }
        if (property === "withSession") {
          return (constraintOrBookmark?: string) =>
            failing((target as D1Database).withSession(constraintOrBookmark));
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }
  return failing(env.DB);
}

/**
 * The real D1 binding, each batch waiting first for `before(n)` (n from 1): a test holds one
 * delivery between its read and its write while another runs.
 */
export function pausingDb(before: (batch: number) => Promise<void>): D1Database {
  return failingBatchesDb(async (batch): Promise<BatchFate> => {
    await before(batch);
    return "pass";
  });
}
