import {
  and,
  desc,
  eq,
  getTableColumns,
  inArray,
  lt,
  lte,
  type Placeholder,
  type SQL,
  sql,
} from "drizzle-orm";
import type { ScoreComponent } from "../domain/credit-score";
import type { LoanRequest } from "../domain/decision";
import type { ExplainedRefusal } from "../domain/principal-reasons";
import type { Database } from "./database";
import {
  type DecisionInputs,
  inputsReadBy,
  insertPartsOf,
  RECORD_INPUTS,
  type StoredInputs,
} from "./decision-inputs";
import { deleteOldestBefore, oldestBefore } from "./delete-oldest";
import { batchableOnce, type Placeholders, preparedOnce } from "./prepared";
import { customers, decisionInputs, decisionRecords, loans } from "./schema";

/*
 * Decision records: written only inside create-loan's write batch (src/db/bookings.ts), read by
 * the decision endpoints, deleted only by the retention sweep. Nothing updates them. A record's
 * loans are stored in parts, each once for every record that read it (src/db/decision-inputs.ts).
 */

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

/** A record's values as its insert binds them, in schema order after `seq`, loan id aside. */
function recordValues(record: NewDecisionRecord, inputs: StoredInputs) {
  return {
    id: record.id,
    customerId: record.customerId,
    createdAt: record.createdAt,
    asOfDate: record.asOfDate,
    modelVersion: record.modelVersion,
    idempotencyKey: record.idempotencyKey,
    approved: record.approved ? 1 : 0,
    creditScore: record.creditScore,
    interestRateBp: record.interestRateBp,
    monthlyInstalmentPaise: record.monthlyInstalmentPaise,
    message: record.message,
    startDate: record.startDate,
    endDate: record.endDate,
    request: JSON.stringify(record.request),
    inputs: inputs.own,
    scoreBreakdown: JSON.stringify(record.scoreBreakdown),
    reasons: JSON.stringify(record.reasons),
  };
}

type RecordNames = keyof ReturnType<typeof recordValues>;

/**
 * The record's insert with its values as placeholders, built once (src/db/prepared.ts). The
 * record's own `inputs` holds its parts' keys; `inputs_digest`, NULL, is for records made before
 * parts (src/db/decision-inputs.ts).
 */
function recordInsert(db: Database, value: Placeholders<RecordNames>, loanId: SQL, condition: SQL) {
  return db.insert(decisionRecords).select(
    sql`SELECT NULL, ${value("id")}, ${value("customerId")}, ${loanId}, ${value("createdAt")},
    ${value("asOfDate")}, ${value("modelVersion")}, ${value("idempotencyKey")}, ${value("approved")},
    ${value("creditScore")}, ${value("interestRateBp")}, ${value("monthlyInstalmentPaise")},
    ${value("message")}, ${value("startDate")}, ${value("endDate")}, ${value("request")},
    ${value("inputs")}, NULL, ${value("scoreBreakdown")}, ${value("reasons")} ${condition}`,
  );
}

const batchableRefusalInsert = batchableOnce((db, value: Placeholders<RecordNames>) =>
  recordInsert(db, value, sql`NULL`, sql.empty()),
);

/**
 * After the guarded loan insert in the same batch: it writes only if that insert added a row
 * (`changes() = 1`) and takes the loan's id from `last_insert_rowid()`.
 */
const batchableApprovalInsert = batchableOnce((db, value: Placeholders<RecordNames>) =>
  recordInsert(db, value, sql`last_insert_rowid()`, sql`WHERE changes() = 1`),
);

/** Records a decision that booked nothing, with its inputs: two statements for one batch. */
export function insertRefusedDecision(
  db: Database,
  record: NewDecisionRecord,
  inputs: StoredInputs,
) {
  return [
    batchableRefusalInsert(db, recordValues(record, inputs)),
    insertPartsOf(db, record.id, inputs),
  ] as const;
}

/**
 * Records an approval in the same batch right after the guarded loan insert. When the guard
 * refused, nothing is recorded and the use case decides again.
 */
export function insertDecisionAfterBooking(
  db: Database,
  record: NewDecisionRecord,
  inputs: StoredInputs,
) {
  return [
    batchableApprovalInsert(db, recordValues(record, inputs)),
    insertPartsOf(db, record.id, inputs),
  ] as const;
}

/** The columns that hold JSON text, and the record's columns in schema order but its inputs'. */
const JSON_COLUMNS: ReadonlySet<string> = new Set(["request", "scoreBreakdown", "reasons"]);
const {
  inputs: _ownInputs,
  inputsDigest: _inputsKey,
  ...RECORD_COLUMNS
} = getTableColumns(decisionRecords);
const COLUMNS = Object.entries(RECORD_COLUMNS);

/**
 * One record packed by SQLite as a JSON array of its columns, then its inputs, its JSON columns
 * embedded as JSON values rather than as strings: one `JSON.parse` then reads the record. A page
 * holds 20 records of some 3 KB; parsing each record's four JSON texts apart, after the driver had
 * copied them out as strings, cost more than the query (docs/performance.md, "Round 17").
 */
const PACKED_RECORD = sql<string>`json_array(${sql.join(
  [
    ...COLUMNS.map(([key, column]) =>
      JSON_COLUMNS.has(key) ? sql`json(${column})` : sql`${column}`,
    ),
    sql`json(${RECORD_INPUTS})`,
  ],
  sql`, `,
)})`;

/** A packed record back as a plain select of the row reads it, JSON columns parsed, and its seq. */
function fromPackedRecord(text: string): { seq: number; record: DecisionRecord } {
  const values = JSON.parse(text) as unknown[];
  const row: Record<string, unknown> = {};
  COLUMNS.forEach(([key, column], index) => {
    const value = values[index] ?? null;
    // As drizzle maps a selected row, but the JSON columns arrive parsed already.
    row[key] = value === null || JSON_COLUMNS.has(key) ? value : column.mapFromDriverValue(value);
  });
  const { seq, ...record }: Record<string, unknown> = { ...row, inputs: values[COLUMNS.length] };
  return { seq: seq as number, record: record as unknown as DecisionRecord };
}

/**
 * What a history page's records may hold in all, in characters of their stored JSON. A record
 * keeps every loan it read, at most 251 characters each, besides some 4,000 of its own: a
 * customer with thousands of loans has records of up to 1.3 MB (a decision reads at most
 * LOANS_PER_CUSTOMER_AT_MOST - 1 loans, src/lib/loan-bound.ts), and 100 of those could take a
 * Worker past its memory. An ordinary customer's pages never reach it.
 */
const PAGE_BUDGET = 2_000_000;
const RECORD_OWN_SIZE = 4_000;
const RECORDED_LOAN_SIZE = 251;

/**
 * How many records a page of this customer holds: `limit`, or fewer when the customer has so many
 * loans that `limit` of their records could pass PAGE_BUDGET (no record read more loans than the
 * customer has now: loans are never deleted). At least one.
 */
function pageSize(customerId: number | Placeholder, limit: number | Placeholder) {
  const loanCount = sql`(SELECT count(*) FROM ${loans} WHERE ${loans.customerId} = ${customerId})`;
  return sql<number>`min(${limit}, max(1, ${sql.raw(String(PAGE_BUDGET))} / (${sql.raw(
    String(RECORD_OWN_SIZE),
  )} + ${sql.raw(String(RECORDED_LOAN_SIZE))} * ${loanCount})))`;
}

/**
 * A customer's decisions strictly older than `beforeSeq`, newest first, each packed, joined to the
 * customer's row: no row at all means no such customer, one row with a null record a customer
 * without (more) decisions. One more than the page size, which every row carries.
 */
export function selectCustomerDecisionPage(
  db: Database,
  customerId: number | Placeholder<"customerId">,
  beforeSeq: number | Placeholder<"beforeSeq">,
  limit: number | Placeholder<"limit">,
) {
  const size = pageSize(customerId, limit);
  return (
    db
      .select({
        record: sql<
          string | null
        >`CASE WHEN ${decisionRecords.seq} IS NULL THEN NULL ELSE ${PACKED_RECORD} END`,
        pageSize: size,
      })
      .from(customers)
      .leftJoin(
        decisionRecords,
        and(eq(decisionRecords.customerId, customers.id), lt(decisionRecords.seq, beforeSeq)),
      )
      .where(eq(customers.id, customerId))
      .orderBy(desc(decisionRecords.seq))
      // drizzle types LIMIT as a number or a placeholder, and builds any SQL given; SQLite takes
      // any integer expression there.
      .limit(sql`${size} + 1` as unknown as Placeholder)
  );
}

/** The history's one statement, built once (a prepared query cannot join a batch, and needs none). */
const preparedCustomerDecisionPage = preparedOnce(
  (db, value: Placeholders<"customerId" | "beforeSeq" | "limit">) =>
    selectCustomerDecisionPage(db, value("customerId"), value("beforeSeq"), value("limit")),
);

/**
 * Whether the customer exists, one page of their decisions (newest first, at most `limit`, fewer
 * for a customer with very many loans) and whether older ones follow, in one statement (one round
 * trip). Without a cursor the page starts above every seq: seqs come from SQLite's
 * AUTOINCREMENT, one per decision, far below 2^53.
 */
export async function loadCustomerDecisions(
  db: Database,
  customerId: number,
  beforeSeq: number | null,
  limit: number,
) {
  const rows = await preparedCustomerDecisionPage(db).all({
    customerId,
    beforeSeq: beforeSeq ?? Number.MAX_SAFE_INTEGER,
    limit,
  });
  const size = rows[0]?.pageSize ?? limit;
  const found = rows.flatMap(({ record }) => (record === null ? [] : [fromPackedRecord(record)]));
  return { customerExists: rows.length > 0, page: found.slice(0, size), more: found.length > size };
}

/** One decision by its id, packed as a page's records are. */
export function selectDecision(db: Database, decisionId: string | Placeholder<"decisionId">) {
  return db
    .select({ record: PACKED_RECORD })
    .from(decisionRecords)
    .where(eq(decisionRecords.id, decisionId))
    .limit(1);
}

const preparedDecision = preparedOnce((db, value: Placeholders<"decisionId">) =>
  selectDecision(db, value("decisionId")),
);

/** One decision by its id, or null, in one statement. */
export async function loadDecision(
  db: Database,
  decisionId: string,
): Promise<DecisionRecord | null> {
  const row = await preparedDecision(db).get({ decisionId });
  return row === undefined ? null : fromPackedRecord(row.record).record;
}

/**
 * The retention sweep's three statements, for one batch, on the oldest `limit` records decided
 * before `cutoffIso`: count them off the inputs they read, delete the inputs no record reads any
 * more, then delete the records. Together, since a failure between them would leave counts or
 * inputs wrong for good; the same records each time, since nothing is written between statements
 * of one transaction. Records made before migration 0009 keep their inputs and read none.
 */
export function decisionSweep(db: Database, cutoffIso: string, limit: number) {
  const columns = { key: decisionRecords.seq, age: decisionRecords.createdAt };
  const read = inputsReadBy(oldestBefore(db, decisionRecords, columns, cutoffIso, limit));
  const gone = sql`(SELECT digest, count(*) AS n FROM (${read}) AS read_by_gone GROUP BY digest) AS gone`;
  return [
    db
      .update(decisionInputs)
      .set({ records: sql`${decisionInputs.records} - gone.n` })
      .from(gone)
      .where(sql`${decisionInputs.digest} = gone.digest`),
    db
      .delete(decisionInputs)
      .where(and(lte(decisionInputs.records, 0), inArray(decisionInputs.digest, sql`(${read})`))),
    deleteOldestBefore(db, decisionRecords, columns, cutoffIso, limit),
  ] as const;
}

/** Deletes up to `limit` records decided before `cutoffIso`, oldest first; returns their seqs. */
export async function deleteDecisionsBefore(db: Database, cutoffIso: string, limit: number) {
  const [, , deleted] = await db.batch(decisionSweep(db, cutoffIso, limit));
  return deleted;
}
