import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { isMissingSchemaError } from "../../src/db/errors";
import { backend } from "../support/backend";

/*
 * Which of D1's real errors say the schema is behind the code (answered 503 not-ready, pointing
 * at /readyz), through drizzle as the app meets them. A release deployed before its migration
 * writes a column the database does not have yet, and SQLite says so in other words than for a
 * read: "has no column named".
 */

async function errorOf(statement: ReturnType<typeof sql>): Promise<unknown> {
  try {
    await backend().database().run(statement);
  } catch (error) {
    return error;
  }
  throw new Error("the statement did not fail");
}

describe("a schema behind or ahead of the code", () => {
  it.each([
    ["a read of a table that does not exist", sql`SELECT * FROM no_such_table`],
    ["a read of a column that does not exist", sql`SELECT no_such_column FROM customers`],
    [
      "an insert naming a column that does not exist",
      sql`INSERT INTO decision_inputs (digest, inputs, no_such_column) VALUES ('d', '{}', 1)`,
    ],
  ])("is told apart: %s", async (_name, statement) => {
    expect(isMissingSchemaError(await errorOf(statement))).toBe(true);
  });

  it("is not confused with a constraint the data broke", async () => {
    const error = await errorOf(
      sql`INSERT INTO decision_inputs (digest, inputs) VALUES ('d', NULL)`,
    );
    expect(String((error as Error).cause ?? error)).toMatch(/NOT NULL/);
    expect(isMissingSchemaError(error)).toBe(false);
  });
});
