import { sql } from "drizzle-orm";
import type { Database } from "./database";
import { isMissingSchemaError } from "./errors";
import { EXPECTED_MIGRATIONS, unknownMigrations } from "./migration-names";

/** What keeps the database from being ready; /readyz lists them as its problem's errors. */
interface ReadinessProblem {
  field: "database" | "migrations";
  message: string;
}

export type Readiness =
  | { ready: true; migrations: number }
  | { ready: false; problems: ReadinessProblem[] };

/**
 * Ready when the database answers and `d1_migrations` (wrangler's table, which the Node migrator
 * writes too) records every expected migration and no other: one this release does not know was
 * applied by a newer release. One small query does all three: reading that table is the trivial
 * query. `fault` is what the runtime knows the query cannot show: on the
 * Node server, a database file deleted, replaced or read-only under it, which still answers reads.
 */
export async function checkReadiness(
  database: () => Database,
  expected: readonly string[] = EXPECTED_MIGRATIONS,
  fault: () => string | null = () => null,
): Promise<Readiness> {
  const known = fault();
  if (known !== null) return { ready: false, problems: [{ field: "database", message: known }] };
  let applied: Set<string>;
  try {
    // `values` returns arrays of columns on every driver (a raw `all` does not).
    const rows = await database().values<[string]>(sql`SELECT name FROM d1_migrations`);
    applied = new Set(rows.map(([name]) => String(name)));
  } catch (error) {
    // No d1_migrations table: nothing was ever migrated, so every migration is missing.
    if (isMissingSchemaError(error)) {
      applied = new Set();
    } else {
      // The error's class only: its message may hold connection details.
      return {
        ready: false,
        problems: [
          { field: "database", message: `did not answer (${(error as Error)?.name ?? "error"})` },
        ],
      };
    }
  }
  const missing = expected.filter((name) => !applied.has(name));
  const unknown = unknownMigrations(applied, expected);
  const problems: ReadinessProblem[] = [];
  if (missing.length > 0) {
    problems.push({ field: "migrations", message: `not applied: ${missing.join(", ")}` });
  }
  if (unknown.length > 0) {
    problems.push({
      field: "migrations",
      message: `applied by a newer release, unknown to this one: ${unknown.join(", ")}`,
    });
  }
  if (problems.length > 0) return { ready: false, problems };
  return { ready: true, migrations: expected.length };
}
