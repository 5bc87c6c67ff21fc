import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { BorrowerFacts } from "../domain/assessment";
import type { ScoreComponent } from "../domain/credit-score";
import type { LoanRequest } from "../domain/decision";
import type { ExplainedRefusal } from "../domain/principal-reasons";
import { selectCustomer } from "./customers";
import type { Database } from "./database";
import { deleteOldestBefore } from "./delete-oldest";
import { type DecisionRow, decisionRecords } from "./schema";

/*
 * Decision records: written only inside create-loan's write batch (src/db/bookings.ts), read by
 * the decision endpoints, deleted only by the retention sweep. Nothing updates them.
 */

/** A loan as the decision read it: everything the score and the rules use, and its id. */
interface RecordedLoan {
  loanId: number;
  loanAmountPaise: number;
  tenure: number;
  interestRateBp: number;
  monthlyPaymentPaise: number;
  emisPaidOnTime: number;
  /** Absent in records made before model 2026-12.15, which did not read it. */
  periodsSettled?: number | null;
  startDate: string;
  endDate: string;
  /** Absent in records made before model 2026-12.1, which did not read it. */
  closedOn?: string | null;
}

interface DecisionInputs {
  borrower: BorrowerFacts;
  loans: RecordedLoan[];
}

/** A decision as stored and read back, JSON columns parsed. */
export interface DecisionRecord {
  id: string;
  customerId: number;
  loanId: number | null;
  createdAt: string;
  asOfDate: string;
  modelVersion: string;
  idempotencyKey: string | null;
  approved: boolean;
  creditScore: number;
  interestRateBp: number;
  monthlyInstalmentPaise: number;
  message: string;
  startDate: string | null;
  endDate: string | null;
  request: LoanRequest;
  inputs: DecisionInputs;
  scoreBreakdown: ScoreComponent[];
  reasons: ExplainedRefusal[];
}

/** What the use case hands over before the write: the loan id is the database's to fill in. */
export type NewDecisionRecord = Omit<DecisionRecord, "loanId">;

/** The columns in schema order after `seq` and `id`… as one SQL list, loan id left to the caller. */
function columnValues(record: NewDecisionRecord, loanId: ReturnType<typeof sql>) {
  return sql`${record.id}, ${record.customerId}, ${loanId}, ${record.createdAt}, ${record.asOfDate},
    ${record.modelVersion}, ${record.idempotencyKey}, ${record.approved ? 1 : 0}, ${record.creditScore},
    ${record.interestRateBp}, ${record.monthlyInstalmentPaise}, ${record.message}, ${record.startDate},
    ${record.endDate}, ${JSON.stringify(record.request)}, ${JSON.stringify(record.inputs)},
    ${JSON.stringify(record.scoreBreakdown)}, ${JSON.stringify(record.reasons)}`;
}

/** Records a decision that booked nothing. */
export function insertDecision(db: Database, record: NewDecisionRecord) {
  return db.insert(decisionRecords).select(sql`SELECT NULL, ${columnValues(record, sql`NULL`)}`);
}

/**
 * Records an approval in the same batch right after the guarded loan insert: it writes only if
 * that insert added a row (`changes() = 1`) and takes the loan's id from `last_insert_rowid()`.
 * When the guard refused, nothing is recorded and the use case decides again.
 */
export function insertDecisionAfterBooking(db: Database, record: NewDecisionRecord) {
  return db
    .insert(decisionRecords)
    .select(
      sql`SELECT NULL, ${columnValues(record, sql`last_insert_rowid()`)} WHERE changes() = 1`,
    );
}

export function selectDecision(db: Database, decisionId: string) {
  return db.select().from(decisionRecords).where(eq(decisionRecords.id, decisionId)).limit(1);
}

/** A page of a customer's decisions, newest first, strictly older than `beforeSeq` if given. */
export function selectDecisionsOfCustomer(
  db: Database,
  customerId: number,
  beforeSeq: number | null,
  limit: number,
) {
  const ofCustomer = eq(decisionRecords.customerId, customerId);
  return db
    .select()
    .from(decisionRecords)
    .where(beforeSeq === null ? ofCustomer : and(ofCustomer, lt(decisionRecords.seq, beforeSeq)))
    .orderBy(desc(decisionRecords.seq))
    .limit(limit);
}

/** The customer (null when unknown) and one page of their decisions, in one round trip. */
export async function loadCustomerDecisions(
  db: Database,
  customerId: number,
  beforeSeq: number | null,
  limit: number,
) {
  const [customerRows, rows] = await db.batch([
    selectCustomer(db, customerId),
    selectDecisionsOfCustomer(db, customerId, beforeSeq, limit),
  ]);
  return { customer: customerRows[0] ?? null, rows };
}

/** Deletes up to `limit` records decided before `cutoffIso`, oldest first; the retention sweep's. */
export function deleteDecisionsBefore(db: Database, cutoffIso: string, limit: number) {
  const columns = { key: decisionRecords.seq, age: decisionRecords.createdAt };
  return deleteOldestBefore(db, decisionRecords, columns, cutoffIso, limit);
}

export function toDecisionRecord(row: DecisionRow): DecisionRecord {
  const { seq: _seq, request, inputs, scoreBreakdown, reasons, ...columns } = row;
  return {
    ...columns,
    request: JSON.parse(request) as LoanRequest,
    inputs: JSON.parse(inputs) as DecisionInputs,
    scoreBreakdown: JSON.parse(scoreBreakdown) as ScoreComponent[],
    reasons: JSON.parse(reasons) as ExplainedRefusal[],
  };
}
