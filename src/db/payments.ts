import { and, desc, eq, getTableColumns, type Placeholder, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { LedgerEntry, ServicingState } from "../domain/servicing";
import type { Database } from "./database";
import { unlessKeyTaken } from "./errors";
import {
  deleteKeyIfExpired,
  insertResponseAfterChange,
  liveIdempotencyRecord,
  type StoredResponse,
} from "./idempotency";
import { jsonRows } from "./json-rows";
import { loanRows } from "./loans";
import { batchableOnce, type Placeholders, preparedOnce } from "./prepared";
import {
  type IdempotencyRecord,
  type LoanRecord,
  loans,
  NOW_ISO,
  type PaymentRecord,
  payments,
} from "./schema";

/*
 * Servicing's data access. make-payment: one statement to read the loan (a batch with the stored
 * response when it has an Idempotency-Key), one atomic batch to write the payment. view-statement:
 * one statement.
 */

/**
 * The loan make-payment reads (a LoanToPay), only if it belongs to this customer: another
 * customer's loan reads as absent.
 */
export function selectLoanToPay(
  db: Database,
  customerId: number | Placeholder<"customerId">,
  loanId: number | Placeholder<"loanId">,
) {
  return db
    .select({
      ...getTableColumns(loans),
      // The latest API payment's date (payments settle periods in order): a new one may not
      // be dated before it. Through the (loan_id, period) index.
      // Qualified by hand: drizzle writes a select's own columns unqualified, and a bare "id"
      // in the subquery would be the payment's.
      lastPaidOn: sql<
        string | null
      >`(SELECT latest.paid_on FROM payments AS latest WHERE latest.loan_id = "loans"."id" ORDER BY latest.period DESC LIMIT 1)`,
    })
    .from(loans)
    .where(and(eq(loans.id, loanId), eq(loans.customerId, customerId)))
    .limit(1);
}

/** A loan as make-payment reads it: with the date of its latest API payment, if any. */
export type LoanToPay = LoanRecord & { lastPaidOn: string | null };

/** make-payment's read without an Idempotency-Key. */
const preparedLoanToPay = preparedOnce((db, value: Placeholders<"customerId" | "loanId">) =>
  selectLoanToPay(db, value("customerId"), value("loanId")),
);

/** The same read in the batch with an Idempotency-Key's, built once. */
const batchableLoanToPay = batchableOnce((db, value: Placeholders<"customerId" | "loanId">) =>
  selectLoanToPay(db, value("customerId"), value("loanId")),
);

const paymentRows = jsonRows(payments);

/**
 * A customer's loan and its payments (view-statement): one row of two JSON values, or none when
 * the loan is not theirs (src/db/json-rows.ts).
 */
export function selectStatement(
  db: Database,
  customerId: number | Placeholder<"customerId">,
  loanId: number | Placeholder<"loanId">,
) {
  const loan = alias(loans, "l");
  return db
    .select({
      loan: loanRows.array("l"),
      payments: sql<string>`(SELECT json_group_array(${paymentRows.array("p")}) FROM ${payments} AS p WHERE p.loan_id = l.id AND p.customer_id = l.customer_id)`,
    })
    .from(loan)
    .where(and(eq(loan.id, loanId), eq(loan.customerId, customerId)));
}

const preparedStatement = preparedOnce((db, value: Placeholders<"customerId" | "loanId">) =>
  selectStatement(db, value("customerId"), value("loanId")),
);

export function selectPaymentIdByKey(db: Database, key: string | Placeholder<"key">) {
  return db
    .select({ id: payments.id })
    .from(payments)
    .where(eq(payments.idempotencyKey, key))
    .orderBy(desc(payments.id))
    .limit(1);
}

const batchablePaymentIdByKey = batchableOnce((db, value: Placeholders<"key">) =>
  selectPaymentIdByKey(db, value("key")),
);

export interface StoredPaymentResponse {
  record: IdempotencyRecord;
  /** The id of the payment the key made, if it made one. */
  paymentId: number | null;
}

export async function loadForPayment(
  db: Database,
  customerId: number,
  loanId: number,
  idempotencyKey: string | null,
  nowMs: number,
): Promise<{ loan: LoanToPay | null; stored: StoredPaymentResponse | null }> {
  if (idempotencyKey === null) {
    const loan = await preparedLoanToPay(db).get({ customerId, loanId });
    return { loan: loan ?? null, stored: null };
  }
  const [loansFound, recordsFound, paymentIdsFound] = await db.batch([
    batchableLoanToPay(db, { customerId, loanId }),
    liveIdempotencyRecord(db, idempotencyKey, nowMs),
    batchablePaymentIdByKey(db, { key: idempotencyKey }),
  ]);
  const record = recordsFound[0];
  return {
    loan: loansFound[0] ?? null,
    stored: record ? { record, paymentId: paymentIdsFound[0]?.id ?? null } : null,
  };
}

export async function loadStatement(db: Database, customerId: number, loanId: number) {
  const row = await preparedStatement(db).get({ customerId, loanId });
  if (row === undefined) return { loan: null, payments: [] };
  const loan = loanRows.decode(JSON.parse(row.loan) as unknown[]);
  return { loan, payments: paymentRows.decodeAll(row.payments).sort(byPeriod) };
}

function byPeriod(a: PaymentRecord, b: PaymentRecord): number {
  return a.period - b.period;
}

/** A ledger entry as the money engine made it, with what the write needs around it. */
export interface PaymentToRecord extends Omit<LedgerEntry, "paymentId" | "source"> {
  loanId: number;
  customerId: number;
  /**
   * The loan as it was read: the write happens only if it is unchanged — no other payment moved
   * it (`api_payments`) and no re-ingested workbook row changed its terms meanwhile.
   */
  expectedLoan: Pick<
    LoanRecord,
    | "apiPayments"
    | "loanAmountPaise"
    | "interestRateBp"
    | "tenure"
    | "monthlyPaymentPaise"
    | "emisPaidOnTime"
    | "startDate"
  >;
  /** The loan's state after the payment. */
  loanAfter: ServicingState;
  /** The on-time count the opening state was built on, kept once API payments add to it. */
  recordedEmisPaidOnTime: number;
  idempotencyKey: string | null;
}

export type PaymentWriteOutcome =
  | { kind: "recorded"; paymentId: number }
  /** Another payment, or a re-ingest of its terms, moved the loan since it was read: no write. */
  | { kind: "stale" }
  /** A concurrent request with the same Idempotency-Key stored its response first. */
  | { kind: "key-taken" };

/**
 * One atomic batch: the loan's state moves on only if no other payment moved it since it was
 * read (the version check), and the ledger row and the stored response follow only if it did
 * (`changes() = 1`). Two concurrent payments can therefore never settle the same period.
 */
export async function recordPayment(
  db: Database,
  payment: PaymentToRecord,
  response: StoredResponse | null,
  nowMs: number,
): Promise<PaymentWriteOutcome> {
  const update = batchableLoanUpdate(db, loanUpdateValues(payment));
  const insert = batchablePaymentInsert(db, paymentValues(payment));
  return unlessKeyTaken(async () => {
    const inserted = response
      ? (
          await db.batch([
            deleteKeyIfExpired(db, response.key, nowMs),
            update,
            insert,
            insertResponseAfterChange(db, response),
          ])
        )[2]
      : (await db.batch([update, insert]))[1];
    const paymentId = inserted[0]?.id;
    return paymentId === undefined ? { kind: "stale" } : { kind: "recorded", paymentId };
  });
}

/** The loan's update's values: its state after the payment, and the loan as it was read. */
function loanUpdateValues(payment: PaymentToRecord) {
  const after = payment.loanAfter;
  const expected = payment.expectedLoan;
  return {
    outstandingPrincipalPaise: after.outstandingPrincipalPaise,
    periodsSettled: after.periodsSettled,
    emiPaise: after.emiPaise,
    monthlyInstalmentPaise: after.monthlyInstalmentPaise,
    emisPaidOnTime: after.emisPaidOnTime,
    closedOn: after.closedOn,
    recordedEmisPaidOnTime: payment.recordedEmisPaidOnTime,
    loanId: payment.loanId,
    expectedApiPayments: expected.apiPayments,
    expectedLoanAmountPaise: expected.loanAmountPaise,
    expectedInterestRateBp: expected.interestRateBp,
    expectedTenure: expected.tenure,
    expectedMonthlyPaymentPaise: expected.monthlyPaymentPaise,
    expectedEmisPaidOnTime: expected.emisPaidOnTime,
    expectedStartDate: expected.startDate,
  };
}

type LoanUpdateNames = keyof ReturnType<typeof loanUpdateValues>;

const batchableLoanUpdate = batchableOnce((db, placeholder: Placeholders<LoanUpdateNames>) => {
  // As SQL: drizzle's set() takes no bare placeholder.
  const value = (name: LoanUpdateNames) => sql`${placeholder(name)}`;
  return db
    .update(loans)
    .set({
      outstandingPrincipalPaise: value("outstandingPrincipalPaise"),
      periodsSettled: value("periodsSettled"),
      emiPaise: value("emiPaise"),
      monthlyPaymentPaise: value("monthlyInstalmentPaise"),
      emisPaidOnTime: value("emisPaidOnTime"),
      closedOn: value("closedOn"),
      workbookEmisPaidOnTime: value("recordedEmisPaidOnTime"),
      apiPayments: sql`${loans.apiPayments} + 1`,
    })
    .where(
      and(
        eq(loans.id, value("loanId")),
        eq(loans.apiPayments, value("expectedApiPayments")),
        eq(loans.loanAmountPaise, value("expectedLoanAmountPaise")),
        eq(loans.interestRateBp, value("expectedInterestRateBp")),
        eq(loans.tenure, value("expectedTenure")),
        eq(loans.monthlyPaymentPaise, value("expectedMonthlyPaymentPaise")),
        eq(loans.emisPaidOnTime, value("expectedEmisPaidOnTime")),
        // The start date sets the due dates (on time or not) and whether the loan has started.
        eq(loans.startDate, value("expectedStartDate")),
      ),
    );
});

/** The ledger row's values, in schema order after its id. */
function paymentValues(payment: PaymentToRecord) {
  return {
    loanId: payment.loanId,
    customerId: payment.customerId,
    period: payment.period,
    paidOn: payment.paidOn,
    amountPaise: payment.amountPaise,
    interestPaise: payment.interestPaise,
    principalPaise: payment.principalPaise,
    balanceAfterPaise: payment.balanceAfterPaise,
    onTime: payment.onTime ? 1 : 0,
    idempotencyKey: payment.idempotencyKey,
  };
}

type PaymentNames = keyof ReturnType<typeof paymentValues>;

// insert…select lists every column in schema order (id NULL: the database assigns it).
const batchablePaymentInsert = batchableOnce((db, value: Placeholders<PaymentNames>) =>
  db
    .insert(payments)
    .select(sql`
      SELECT NULL, ${value("loanId")}, ${value("customerId")}, ${value("period")}, ${value("paidOn")},
             ${value("amountPaise")}, ${value("interestPaise")}, ${value("principalPaise")},
             ${value("balanceAfterPaise")}, ${value("onTime")}, 'api',
             ${value("idempotencyKey")}, ${NOW_ISO}
      WHERE changes() = 1`)
    .returning({ id: payments.id }),
);
