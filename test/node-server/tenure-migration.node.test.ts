import NativeDatabase from "libsql";
import { expect, it } from "vitest";
import { scratchFiles } from "../node/ingest-fixtures";
import { startOutcome } from "../node/serve-process";
import { migrateFileUpTo } from "../support/migrated-libsql";

/*
 * Migration 0014 over a database that already holds a loan of tenure 0 (a hand edit, another
 * program's write): the start refuses it in one line naming the query that finds the row, instead
 * of every endpoint that reads the customer's loans answering 500 ever after. Once the row is
 * corrected, the next start applies it.
 */

const scratch = scratchFiles();
const MIGRATION = "0014_loan_tenure_whole_months.sql";

it("stops the start on a stored loan of tenure 0 until it is corrected", async () => {
  const path = scratch("tenure-0.db");
  await migrateFileUpTo(path, MIGRATION);
  const byHand = new NativeDatabase(path);
  byHand.exec(`INSERT INTO customers (first_name, last_name, age, phone_number,
      monthly_salary_paise, approved_limit_paise) VALUES ('Hand', 'Edited', 30, 9100000000, 5000000, 180000000);
    INSERT INTO loans (customer_id, loan_amount_paise, tenure, interest_rate_bp,
      monthly_payment_paise, start_date, end_date)
      VALUES (last_insert_rowid(), 10000000, 0, 1200, 900000, '2025-01-01', '2025-01-01')`);
  byHand.close();

  const refused = await startOutcome({ DATABASE_URL: `file:${path}`, WEB_CONCURRENCY: "1" });
  expect(refused.output).toContain(
    `database ${path}: migration ${MIGRATION} failed (SQLITE_CONSTRAINT: LOAN_TENURE_INVALID: a stored loan's tenure is not a whole number of months of at least 1 (SELECT id, tenure FROM loans WHERE typeof(tenure) <> 'integer' OR tenure < 1); correct or delete it, then migrate again); nothing of it was applied`,
  );
  expect(refused.code).toBe(78);
  const fixed = new NativeDatabase(path);
  try {
    expect(fixed.prepare("SELECT name FROM sqlite_schema WHERE name LIKE '_loans%'").all()).toEqual(
      [],
    );
    fixed.exec("UPDATE loans SET tenure = 1, end_date = '2025-02-01' WHERE tenure = 0");
  } finally {
    fixed.close();
  }
  const started = await startOutcome({ DATABASE_URL: `file:${path}`, WEB_CONCURRENCY: "1" });
  expect(started.output).toContain(`applied migrations: ${MIGRATION}`);
  expect(started.output).toMatch(/ready: API/);
}, 120_000);
