import { loans } from "../../src/db/schema";
import { monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import { percentToBasisPoints, rupeesToPaise } from "../../src/domain/money";
import { backend } from "./backend";
import { registerCustomer } from "./http";

export interface SeedLoan {
  customerId: number;
  amount: number;
  rate?: number;
  tenure?: number;
  emisPaidOnTime?: number;
  startDate: string;
  endDate: string;
  monthlyPayment?: number;
  sourceLoanId?: number;
  /** The stored closed_on column, as ingestion writes it (the state's); null when not given. */
  closedOn?: string | null;
}

/** Writes a historical loan straight into the database, as ingestion would. Returns its id. */
export async function seedLoan(loan: SeedLoan): Promise<number> {
  const rateBp = percentToBasisPoints(loan.rate ?? 10);
  const tenure = loan.tenure ?? 12;
  const amountPaise = rupeesToPaise(loan.amount);
  const [row] = await backend()
    .database()
    .insert(loans)
    .values({
      customerId: loan.customerId,
      sourceLoanId: loan.sourceLoanId ?? null,
      loanAmountPaise: amountPaise,
      tenure,
      interestRateBp: rateBp,
      monthlyPaymentPaise:
        loan.monthlyPayment === undefined
          ? monthlyInstalmentPaise(amountPaise, rateBp, tenure)
          : rupeesToPaise(loan.monthlyPayment),
      emisPaidOnTime: loan.emisPaidOnTime ?? 0,
      workbookEmisPaidOnTime: loan.emisPaidOnTime ?? 0,
      startDate: loan.startDate,
      endDate: loan.endDate,
      closedOn: loan.closedOn ?? null,
    })
    .returning({ id: loans.id });
  if (!row) throw new Error("seed failed");
  return row.id;
}

/**
 * A new customer whose one current loan is over their approved limit, so the override zeroes the
 * score and a create-loan is refused naming the score's factors. Returns the customer's id.
 */
export async function registerOverLimitBorrower(): Promise<number> {
  const { customer_id, approved_limit } = await registerCustomer({ monthly_income: 12_500 });
  await seedLoan({
    customerId: customer_id,
    amount: approved_limit + 1,
    monthlyPayment: 100,
    startDate: "2025-01-01",
    endDate: "2025-12-01",
    emisPaidOnTime: 1,
  });
  return customer_id;
}

/**
 * A new customer with one current loan of 40,000 (nine instalments paid on time), so a decision
 * records a loan among its inputs. Returns the registration's answer.
 */
export async function registerBorrowerWithLoan(monthlyIncome: number) {
  const registered = await registerCustomer({ monthly_income: monthlyIncome });
  await seedLoan({
    customerId: registered.customer_id,
    amount: 40_000,
    startDate: "2024-01-10",
    endDate: "2026-01-10",
    emisPaidOnTime: 9,
  });
  return registered;
}

/**
 * Gives a customer `count` repaid loans in one statement (a recursive CTE), ids `firstId` up,
 * every recorded value as wide as one can be. `startDate` is an SQL expression of the row's
 * index `i`: a history of thousands of loans in well under a second. Past the bound ingestion
 * keeps (5,000 loans a customer, migrations/0011), as a database ingested before it can hold
 * them: the loans go in as booked ones (no source Loan ID, which the bound does not count) and
 * then take their Loan IDs, as an update the bound does not see either.
 */
export async function seedWideRepaidLoans(
  customerId: number,
  firstId: number,
  count: number,
  startDate = "'1950-01-01'",
): Promise<void> {
  await backend().query(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})
     INSERT INTO loans (id, customer_id, source_loan_id, loan_amount_paise, tenure, interest_rate_bp,
       monthly_payment_paise, emis_paid_on_time, workbook_emis_paid_on_time, start_date, end_date,
       closed_on)
     SELECT ${firstId} + i, ?, NULL, 100000000000000, 600, 10000, 100000000000000, 600, 600,
       ${startDate}, '2000-01-01', '2000-01-01'
     FROM n`,
    [customerId],
  );
  await backend().query(
    "UPDATE loans SET source_loan_id = id WHERE customer_id = ? AND id BETWEEN ? AND ?",
    [customerId, firstId, firstId + count - 1],
  );
}
