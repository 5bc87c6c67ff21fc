import { env } from "cloudflare:test";
import { createDatabase } from "../../src/db/client";
import { loans } from "../../src/db/schema";
import { monthlyInstalmentPaise } from "../../src/domain/loan-terms";

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
}

/** Writes a historical loan straight into D1, as ingestion would. Returns its id. */
export async function seedLoan(loan: SeedLoan): Promise<number> {
  const rateBp = Math.round((loan.rate ?? 10) * 100);
  const tenure = loan.tenure ?? 12;
  const amountPaise = Math.round(loan.amount * 100);
  const [row] = await createDatabase(env.DB)
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
          : Math.round(loan.monthlyPayment * 100),
      emisPaidOnTime: loan.emisPaidOnTime ?? 0,
      startDate: loan.startDate,
      endDate: loan.endDate,
    })
    .returning({ id: loans.id });
  if (!row) throw new Error("seed failed");
  return row.id;
}

export async function countLoans(customerId: number): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM loans WHERE customer_id = ?")
    .bind(customerId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
