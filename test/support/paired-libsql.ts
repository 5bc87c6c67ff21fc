import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { LibsqlDatabase } from "../../src/node/database";
import { openMigratedLibsql } from "./migrated-libsql";

/**
 * Two migrated libSQL files for a test file's lifetime, to apply the same writes two ways (a
 * reference and the code under test) and compare what each stored. Read the fields in tests only.
 */
export function pairedLibsqlFiles(prefix: string): {
  reference: LibsqlDatabase;
  candidate: LibsqlDatabase;
} {
  const pair = {} as { reference: LibsqlDatabase; candidate: LibsqlDatabase };
  let directory = "";
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
    pair.reference = await openMigratedLibsql(`file:${join(directory, "reference.db")}`);
    pair.candidate = await openMigratedLibsql(`file:${join(directory, "candidate.db")}`);
  });
  afterAll(async () => {
    pair.reference?.close();
    pair.candidate?.close();
    await rm(directory, { recursive: true, force: true });
  });
  return pair;
}
