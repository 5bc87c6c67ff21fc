import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { MIGRATIONS_DIR } from "../../src/node/runtime";

describe("the migrations /readyz expects", () => {
  it("are exactly the files in migrations/ (add a new file's name to src/db/migration-names.ts)", () => {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((name) => name.endsWith(".sql"))
      .sort();
    expect([...EXPECTED_MIGRATIONS]).toEqual(files);
  });
});
