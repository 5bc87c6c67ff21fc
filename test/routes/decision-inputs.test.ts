import { describe, expect, it } from "vitest";
import { bookLoan, recordRefusal } from "../../src/db/bookings";
import { LOANS_IN_A_PART, toStoredInputs } from "../../src/db/decision-inputs";
import { deleteDecisionsBefore } from "../../src/db/decisions";
import { backend } from "../support/backend";
import { refusalRecordReading, storedInputsChecked } from "../support/decisions";
import { call, callJson, registerCustomer } from "../support/http";
import { seedWideRepaidLoans } from "../support/seed";

/*
 * A decision's loans are stored in parts of LOANS_IN_A_PART, each once for every record that read
 * it. Each record used to keep its own copy of every loan: a customer with thousands of loans
 * refused again and again, or paid and refused in turn, stored up to 1.3 MB a decision.
 */

/** The customer's records, oldest first, with the keys of the parts each read. */
async function recordsOf(customerId: number) {
  const rows = await backend().query<{ id: string; inputs: string; inputs_digest: null }>(
    "SELECT id, inputs, inputs_digest FROM decision_records WHERE customer_id = ? ORDER BY seq",
    [customerId],
  );
  return rows.map((row) => ({
    id: row.id,
    ownSize: row.inputs.length,
    parts: (JSON.parse(row.inputs) as { parts: string[] }).parts,
    inputsDigest: row.inputs_digest,
  }));
}

/** The stored parts under these keys: how many, their size in all, and the records they count. */
async function partsStored(digests: readonly string[]) {
  const [row] = await backend().query<{ copies: number; characters: number; counted: number }>(
    `SELECT COUNT(*) AS copies, COALESCE(SUM(LENGTH(inputs)), 0) AS characters,
       COALESCE(SUM(records), 0) AS counted
     FROM decision_inputs WHERE digest IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(digests)],
  );
  return row ?? { copies: 0, characters: 0, counted: 0 };
}

/** How many records the part under this key counts, or null when it is not stored. */
async function recordsCounted(digest: string): Promise<number | null> {
  const [row] = await backend().query<{ records: number }>(
    "SELECT records FROM decision_inputs WHERE digest = ?",
    [digest],
  );
  return row?.records ?? null;
}

const loansRead = async (decisionId: string | undefined) => {
  const response = await callJson<{ inputs: { loans: { loan_id: number }[] } }>(
    `/decisions/${decisionId}`,
  );
  expect(response.status).toBe(200);
  return response.body.inputs.loans.map((loan) => loan.loan_id);
};

/** A new customer with `count` repaid loans of the widest values, ids from a base of their own. */
async function customerWithLongHistory(count: number) {
  const registered = await registerCustomer({ monthly_income: 50_000 });
  const firstLoanId = 8_000_000_000_000_000 + registered.customer_id * 10_000;
  await seedWideRepaidLoans(registered.customer_id, firstLoanId, count);
  return { ...registered, firstLoanId };
}

describe("a decision's inputs", () => {
  it("are stored once, in parts, when a long history is refused again and again", async () => {
    const { customer_id, approved_limit, firstLoanId } = await customerWithLongHistory(2_000);
    const refused = { customer_id, loan_amount: approved_limit * 2, interest_rate: 14, tenure: 12 };
    for (let i = 0; i < 10; i++) {
      const headers: Record<string, string> = i % 2 ? { "Idempotency-Key": `refusal-${i}` } : {};
      const response = await callJson("/create-loan", { body: refused, headers });
      expect(response.status).toBe(200);
    }

    const records = await recordsOf(customer_id);
    expect(records).toHaveLength(10);
    const parts = records[0]?.parts ?? [];
    expect(parts).toHaveLength(Math.ceil(2_000 / LOANS_IN_A_PART));
    for (const record of records) {
      expect(record.parts).toEqual(parts);
      expect(record.inputsDigest).toBeNull();
      // The keys and the borrower's facts, not the loans: some 70 characters a part.
      expect(record.ownSize).toBeLessThan(parts.length * 70 + 200);
    }
    const stored = await partsStored(parts);
    expect(stored.copies).toBe(parts.length);
    expect(stored.counted).toBe(10 * parts.length);
    // One copy of 2,000 loans of some 250 characters each, not ten.
    expect(stored.characters).toBeGreaterThan(2_000 * 200);
    expect(stored.characters).toBeLessThan(2_000 * 300);

    // Every record still reads back whole, each with the whole history it read, in order.
    const history = Array.from({ length: 2_000 }, (_, i) => firstLoanId + i);
    expect(await loansRead(records[0]?.id)).toEqual(history);
    expect(await loansRead(records[9]?.id)).toEqual(history);
    expect(await storedInputsChecked(customer_id)).toEqual({ missing: 0, miscounted: 0 });
  });

  it("store only the part a payment changed, and the part a booking added to", async () => {
    const { customer_id, approved_limit, firstLoanId } = await customerWithLongHistory(1_000);
    const refusal = { customer_id, loan_amount: approved_limit * 2, interest_rate: 14, tenure: 12 };
    const small = { customer_id, loan_amount: 10_000, interest_rate: 14, tenure: 600 };
    const booked = await callJson<{ loan_id: number; monthly_installment: number }>(
      "/create-loan",
      { body: small },
    );
    expect(booked.status).toBe(201);
    expect((await call("/create-loan", { body: refusal })).status).toBe(200);
    const paid = await call(`/make-payment/${customer_id}/${booked.body.loan_id}`, {
      body: { amount: booked.body.monthly_installment },
    });
    expect(paid.status).toBe(201);
    expect((await call("/create-loan", { body: refusal })).status).toBe(200);

    const [booking, beforePayment, afterPayment] = await recordsOf(customer_id);
    // 1,000 loans are 15 full parts and one of 40; the booking's loan joins that last part.
    expect(booking?.parts).toHaveLength(16);
    expect(beforePayment?.parts).toHaveLength(16);
    expect(beforePayment?.parts.slice(0, 15)).toEqual(booking?.parts.slice(0, 15));
    expect(beforePayment?.parts[15]).not.toBe(booking?.parts[15]);
    // The payment changed the booked loan, the last one read: only the last part is new.
    expect(afterPayment?.parts.slice(0, 15)).toEqual(beforePayment?.parts.slice(0, 15));
    expect(afterPayment?.parts[15]).not.toBe(beforePayment?.parts[15]);
    for (const digest of beforePayment?.parts.slice(0, 15) ?? []) {
      expect(await recordsCounted(digest)).toBe(3);
    }
    expect(await recordsCounted(afterPayment?.parts[15] ?? "")).toBe(1);

    const history = Array.from({ length: 1_000 }, (_, i) => firstLoanId + i);
    expect(await loansRead(booking?.id)).toEqual(history);
    expect(await loansRead(afterPayment?.id)).toEqual([...history, booked.body.loan_id]);
    expect(await storedInputsChecked(customer_id)).toEqual({ missing: 0, miscounted: 0 });
  });

  it("outlive a swept record while another reads them, and go with the last", async () => {
    const { customer_id, approved_limit } = await customerWithLongHistory(100);
    const refusal = { customer_id, loan_amount: approved_limit * 2, interest_rate: 14, tenure: 12 };
    for (let i = 0; i < 2; i++) {
      expect((await call("/create-loan", { body: refusal })).status).toBe(200);
    }
    const [first, second] = await recordsOf(customer_id);
    const parts = first?.parts ?? [];
    expect(parts).toHaveLength(2);
    expect(second?.parts).toEqual(parts);

    // Retention takes the customer's records one at a time (decided long ago: the oldest of all).
    const sweepOldest = async (decisionId: string | undefined) => {
      await backend().query(
        "UPDATE decision_records SET created_at = '1970-01-01T00:00:00.001Z' WHERE id = ?",
        [decisionId],
      );
      return deleteDecisionsBefore(backend().database(), "1970-01-02T00:00:00.000Z", 1);
    };
    expect(await sweepOldest(first?.id)).toHaveLength(1);
    expect(await partsStored(parts)).toMatchObject({ copies: 2, counted: 2 });
    expect(await loansRead(second?.id)).toHaveLength(100);

    expect(await sweepOldest(second?.id)).toHaveLength(1);
    expect(await partsStored(parts)).toEqual({ copies: 0, characters: 0, counted: 0 });
  });

  it.each([
    [100, 1],
    [10, 0],
  ])("read as damaged, not shorter, when a part is missing (%i loans)", async (count, lost) => {
    const { customer_id, approved_limit } = await customerWithLongHistory(count);
    const refusal = { customer_id, loan_amount: approved_limit * 2, interest_rate: 14, tenure: 12 };
    const { body } = await callJson<{ decision_id: string }>("/create-loan", { body: refusal });
    const [record] = await recordsOf(customer_id);
    await backend().query("DELETE FROM decision_inputs WHERE digest = ?", [record?.parts[lost]]);

    // A 500 for a record whose stored inputs are gone: never a decision on fewer loans than it
    // read (64 of 100), or on none.
    const response = await call(`/decisions/${body.decision_id}`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("loans");
  });

  it("are not left behind by a booking the write-time guard refused", async () => {
    const { customer_id, approved_limit } = await registerCustomer({ monthly_income: 30_000 });
    const db = backend().database();
    // A loan no other record has read: an id of this customer's own.
    const record = refusalRecordReading(customer_id, {
      borrower: { monthlySalaryPaise: 1, approvedLimitPaise: 1 },
      loans: [
        {
          loanId: 7_000_000_000_000_000 + customer_id,
          loanAmountPaise: 1,
          tenure: 1,
          interestRateBp: 1,
          monthlyPaymentPaise: 1,
          emisPaidOnTime: 0,
          periodsSettled: 0,
          startDate: "2025-01-01",
          endDate: "2025-02-01",
          closedOn: null,
        },
      ],
    });
    const [part] = (await toStoredInputs(record.inputs)).parts;

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
    expect(await recordsCounted(part?.digest ?? "")).toBeNull();

    // The same record written as a refusal stores its part.
    expect(await recordRefusal(db, record, null, Date.now())).toEqual({ kind: "recorded" });
    expect((await recordsOf(customer_id)).map((r) => [r.id, r.parts])).toEqual([
      [record.id, [part?.digest]],
    ]);
    expect(await recordsCounted(part?.digest ?? "")).toBe(1);
  });
});
