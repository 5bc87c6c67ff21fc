import { describe, expect, it } from "vitest";
import { bookLoan, recordRefusal } from "../../src/db/bookings";
import {
  deleteDecisionsBefore,
  type NewDecisionRecord,
  toStoredInputs,
} from "../../src/db/decisions";
import { MODEL_VERSION } from "../../src/domain/model-version";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer } from "../support/http";
import { registerBorrowerWithLoan, seedWideRepaidLoans } from "../support/seed";

/*
 * A decision's inputs (salary, limit, every loan it read) are stored once for every record that
 * read the same. Each record used to keep its own copy: a customer with thousands of loans
 * refused again and again stored up to 1.3 MB a refusal.
 */

/** The customer's records, oldest first, with the key of what each read. */
function recordsOf(customerId: number) {
  return backend().query<{ id: string; inputs_digest: string }>(
    "SELECT id, inputs_digest FROM decision_records WHERE customer_id = ? ORDER BY seq",
    [customerId],
  );
}

/**
 * The stored inputs the customer's records read: how many copies, their size in all, and how
 * many records they count as reading them.
 */
async function inputsOf(customerId: number) {
  const [row] = await backend().query<{ copies: number; characters: number; counted: number }>(
    `SELECT COUNT(*) AS copies, COALESCE(SUM(LENGTH(inputs)), 0) AS characters,
       COALESCE(SUM(records), 0) AS counted
     FROM decision_inputs
     WHERE digest IN (SELECT inputs_digest FROM decision_records WHERE customer_id = ?)`,
    [customerId],
  );
  return row ?? { copies: 0, characters: 0, counted: 0 };
}

/** How many records the copy under this key counts, or null when none is stored. */
async function recordsCounted(digest: string): Promise<number | null> {
  const [row] = await backend().query<{ records: number }>(
    "SELECT records FROM decision_inputs WHERE digest = ?",
    [digest],
  );
  return row?.records ?? null;
}

describe("a decision's inputs", () => {
  it("are stored once when a long history is refused again and again", async () => {
    const { customer_id, approved_limit } = await registerCustomer({ monthly_income: 50_000 });
    await seedWideRepaidLoans(customer_id, 8_000_000_000_000_000, 2_000);
    const refused = { customer_id, loan_amount: approved_limit * 2, interest_rate: 14, tenure: 12 };
    for (let i = 0; i < 10; i++) {
      const headers: Record<string, string> = i % 2 ? { "Idempotency-Key": `refusal-${i}` } : {};
      const response = await callJson("/create-loan", { body: refused, headers });
      expect(response.status).toBe(200);
    }

    const records = await recordsOf(customer_id);
    expect(records).toHaveLength(10);
    expect(new Set(records.map((r) => r.inputs_digest)).size).toBe(1);
    const stored = await inputsOf(customer_id);
    expect(stored.copies).toBe(1);
    expect(stored.counted).toBe(10);
    // One copy of 2,000 loans of some 250 characters each, not ten.
    expect(stored.characters).toBeGreaterThan(2_000 * 200);
    expect(stored.characters).toBeLessThan(2_000 * 300);

    // Every record still reads back whole, each with the whole history it read.
    for (const record of [records[0], records[9]]) {
      const response = await callJson<{ inputs: { loans: unknown[] } }>(`/decisions/${record?.id}`);
      expect(response.status).toBe(200);
      expect(response.body.inputs.loans).toHaveLength(2_000);
    }
  });

  it("are stored again once the position changes, and a booking shares what it read", async () => {
    const { customer_id, approved_limit } = await registerBorrowerWithLoan(80_000);
    const loan = { customer_id, interest_rate: 14, tenure: 12 };
    const answers = [
      await call("/create-loan", { body: { ...loan, loan_amount: approved_limit * 2 } }),
      await call("/create-loan", { body: { ...loan, loan_amount: 10_000 } }),
      await call("/create-loan", { body: { ...loan, loan_amount: approved_limit * 2 } }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 201, 200]);

    const [refusal, booking, afterBooking] = await recordsOf(customer_id);
    expect(booking?.inputs_digest).toBe(refusal?.inputs_digest);
    expect(afterBooking?.inputs_digest).not.toBe(booking?.inputs_digest);
    expect(await recordsCounted(refusal?.inputs_digest ?? "")).toBe(2);
    expect(await recordsCounted(afterBooking?.inputs_digest ?? "")).toBe(1);
    const loansRead = async (decisionId: string | undefined) => {
      const { body } = await callJson<{ inputs: { loans: unknown[] } }>(`/decisions/${decisionId}`);
      return body.inputs.loans.length;
    };
    expect(await loansRead(refusal?.id)).toBe(1);
    expect(await loansRead(afterBooking?.id)).toBe(2);
  });

  it("are shared by two customers who read the same, and outlive one's records", async () => {
    // New customers with the same salary and no loans read the same text: one copy for both.
    const refusals = [];
    for (let i = 0; i < 2; i++) {
      const { customer_id, approved_limit } = await registerCustomer({ monthly_income: 43_210 });
      const body = { customer_id, loan_amount: approved_limit * 2, interest_rate: 14, tenure: 12 };
      const { body: refused } = await callJson<{ decision_id: string }>("/create-loan", { body });
      refusals.push({ customerId: customer_id, decisionId: refused.decision_id });
    }
    const [first, second] = refusals;
    const [firstRecord] = await recordsOf(first?.customerId ?? 0);
    const [secondRecord] = await recordsOf(second?.customerId ?? 0);
    const digest = firstRecord?.inputs_digest ?? "";
    expect(secondRecord?.inputs_digest).toBe(digest);
    const shared = await recordsCounted(digest);

    // Retention takes the first customer's record (decided long ago, and the oldest of all).
    const sweepOldest = async (decisionId: string | undefined) => {
      await backend().query(
        "UPDATE decision_records SET created_at = '1970-01-01T00:00:00.001Z' WHERE id = ?",
        [decisionId],
      );
      return deleteDecisionsBefore(backend().database(), "1970-01-02T00:00:00.000Z", 1);
    };
    expect(await sweepOldest(first?.decisionId)).toHaveLength(1);
    expect(await recordsCounted(digest)).toBe((shared ?? 0) - 1);
    const read = await callJson<{ inputs: { monthly_salary: number; loans: unknown[] } }>(
      `/decisions/${second?.decisionId}`,
    );
    expect(read.status).toBe(200);
    expect(read.body.inputs).toMatchObject({ monthly_salary: 43_210, loans: [] });
  });

  it("are not left behind by a booking the write-time guard refused", async () => {
    const { customer_id, approved_limit } = await registerCustomer({ monthly_income: 30_000 });
    const db = backend().database();
    // Inputs no other record has read: a salary no customer has.
    const record = refusalRecord(customer_id, 987_654_321 + customer_id);
    const { digest } = await toStoredInputs(record.inputs);

    const overLimit = {
      customerId: customer_id,
      loanAmountPaise: Math.round(approved_limit * 100) + 100,
      tenure: 12,
      interestRateBp: 1_400,
      monthlyPaymentPaise: 1,
      startDate: "2026-01-01",
      endDate: "2027-01-01",
    };
    expect(await bookLoan(db, overLimit, record, null, Date.now())).toEqual({
      kind: "guard-refused",
    });
    expect(await recordsOf(customer_id)).toEqual([]);
    expect(await recordsCounted(digest)).toBeNull();

    // The same record written as a refusal stores them.
    expect(await recordRefusal(db, record, null, Date.now())).toEqual({ kind: "recorded" });
    expect(await recordsOf(customer_id)).toEqual([{ id: record.id, inputs_digest: digest }]);
    expect(await recordsCounted(digest)).toBe(1);
  });
});

/** A refusal's record as the use case builds it, reading a salary given here. */
function refusalRecord(customerId: number, monthlySalaryPaise: number): NewDecisionRecord {
  return {
    id: crypto.randomUUID(),
    customerId,
    createdAt: new Date().toISOString(),
    asOfDate: "2026-01-01",
    modelVersion: MODEL_VERSION,
    idempotencyKey: null,
    approved: false,
    creditScore: 50,
    interestRateBp: 1_400,
    monthlyInstalmentPaise: 1,
    message: "refused",
    startDate: null,
    endDate: null,
    request: { loanAmountPaise: 1, interestRateBp: 1_400, tenure: 12 },
    inputs: { borrower: { monthlySalaryPaise, approvedLimitPaise: 1 }, loans: [] },
    scoreBreakdown: [],
    reasons: [],
  };
}
