import { describe, expect, it } from "vitest";
import { recordRefusal } from "../../src/db/bookings";
import { LOANS_IN_A_PART, toStoredInputs } from "../../src/db/decision-inputs";
import { loadCustomerDecisions, loadDecision } from "../../src/db/decisions";
import { backend } from "../support/backend";
import { refusalRecordReading, storedInputsChecked } from "../support/decisions";
import { registerCustomer } from "../support/http";

/*
 * A record's loans are split into parts of LOANS_IN_A_PART and put back together by SQLite
 * (src/db/decision-inputs.ts). The route tests read histories of 100, 1,000, 2,000 and 5,000
 * loans, none a whole number of parts; these are the counts at the parts' edges.
 */

/** A recorded loan, its values varied by `i` so that every loan's text differs. */
function recordedLoan(i: number) {
  return {
    loanId: 9_007_199_254_000_000 + i,
    loanAmountPaise: 10_000_000 + i,
    tenure: 1 + (i % 600),
    interestRateBp: 1_200,
    monthlyPaymentPaise: 105_000 + i,
    emisPaidOnTime: i % 12,
    periodsSettled: i % 3 === 0 ? null : i % 12,
    startDate: "2020-01-01",
    endDate: "2021-01-01",
    closedOn: i % 2 === 0 ? null : "2021-01-01",
  };
}

describe("a decision's loans in parts", () => {
  it("read back whole and in order at every count around a part's edge", async () => {
    const db = backend().database();
    for (const loanCount of [0, 1, 63, 64, 65, 128, 129]) {
      const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
      const record = refusalRecordReading(customer_id, {
        borrower: { monthlySalaryPaise: 5_000_000, approvedLimitPaise: 180_000_000 },
        loans: Array.from({ length: loanCount }, (_, i) => recordedLoan(i)),
      });
      const stored = await toStoredInputs(record.inputs);
      expect(stored.parts, `${loanCount} loans`).toHaveLength(
        Math.ceil(loanCount / LOANS_IN_A_PART),
      );
      await recordRefusal(db, record, null, Date.now());

      const one = await loadDecision(db, record.id);
      expect(one?.inputs, `${loanCount} loans, by id`).toEqual(record.inputs);
      const history = await loadCustomerDecisions(db, customer_id, null, 20);
      expect(
        history.page.map((entry) => entry.record.inputs),
        `${loanCount} loans, page`,
      ).toEqual([record.inputs]);
      expect(await storedInputsChecked(customer_id)).toEqual({ missing: 0, miscounted: 0 });
    }
  });
});
