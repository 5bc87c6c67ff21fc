import { DrizzleQueryError } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { isLoanBoundReached } from "../../src/ingest/trigger-refusals";

describe("trigger refusals", () => {
  it("are found in the driver's error, under what wraps it", () => {
    const driver = new Error("D1_ERROR: INGEST_LOAN_BOUND: 5000: SQLITE_CONSTRAINT");
    expect(isLoanBoundReached(driver)).toBe(true);
    expect(isLoanBoundReached(new Error("batch failed", { cause: driver }))).toBe(true);
    expect(isLoanBoundReached(new DrizzleQueryError("insert …", [], driver))).toBe(true);
  });

  it("are not read from drizzle's error, which quotes the rows' values", () => {
    const busy = new Error("SQLITE_BUSY: database is locked");
    const quoting = new DrizzleQueryError("insert …", ["INGEST_LOAN_BOUND"], busy);
    expect(quoting.message).toContain("INGEST_LOAN_BOUND");
    expect(isLoanBoundReached(quoting)).toBe(false);
  });
});
