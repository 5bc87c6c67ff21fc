import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/*
 * Money is stored as integer paise and interest rates as integer basis points (8.20 % → 820).
 * Sums and comparisons in SQL are then exact, and no float noise can reach JSON: conversion to
 * rupees happens once, at the response boundary (src/domain/money.ts).
 * Dates are ISO `YYYY-MM-DD` text, which sorts and compares correctly as strings.
 */

/** The current time as ISO 8601 text, computed by the database. */
export const NOW_ISO = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const customers = sqliteTable("customers", {
  id: integer("id").primaryKey(),
  firstName: text("first_name").notNull(),
  lastName: text("last_name").notNull(),
  age: integer("age").notNull(),
  phoneNumber: integer("phone_number").notNull().unique(),
  monthlySalaryPaise: integer("monthly_salary_paise").notNull(),
  approvedLimitPaise: integer("approved_limit_paise").notNull(),
  createdAt: text("created_at").notNull().default(NOW_ISO),
});

export const loans = sqliteTable(
  "loans",
  {
    id: integer("id").primaryKey(),
    customerId: integer("customer_id")
      .notNull()
      .references(() => customers.id),
    /** The Loan ID in the lender's workbook; null for loans booked through the API. */
    sourceLoanId: integer("source_loan_id"),
    loanAmountPaise: integer("loan_amount_paise").notNull(),
    tenure: integer("tenure").notNull(),
    interestRateBp: integer("interest_rate_bp").notNull(),
    monthlyPaymentPaise: integer("monthly_payment_paise").notNull(),
    emisPaidOnTime: integer("emis_paid_on_time").notNull().default(0),
    startDate: text("start_date").notNull(),
    endDate: text("end_date").notNull(),
    createdAt: text("created_at").notNull().default(NOW_ISO),
    /*
     * Servicing (docs/servicing.md#storage). `emis_paid_on_time` is the total the credit score
     * reads: the workbook's count (kept here, the base of the reconstructed schedule) plus the
     * on-time API payments. `monthly_payment_paise` is the displayed instalment, which the first
     * API payment replaces with the schedule's.
     */
    /** The recorded count, frozen by the first API payment (until then it is emis_paid_on_time). */
    workbookEmisPaidOnTime: integer("workbook_emis_paid_on_time").notNull().default(0),
    /** API payments so far: the version a payment's conditional write checks. */
    apiPayments: integer("api_payments").notNull().default(0),
    /** The state after the last API payment; null before the first, when it is the opening state. */
    outstandingPrincipalPaise: integer("outstanding_principal_paise"),
    periodsSettled: integer("periods_settled"),
    emiPaise: integer("emi_paise"),
    /** Set when the loan is repaid (by ingestion for a workbook loan whose count covers it). */
    closedOn: text("closed_on"),
  },
  (table) => [
    // Every per-customer read (view-loans, the decision inputs, the create-loan guard) is a
    // range scan of this index.
    index("loans_customer_id_idx").on(table.customerId, table.startDate, table.endDate),
    // The natural key of an ingested loan, so that re-ingesting a workbook is an upsert.
    uniqueIndex("loans_source_key_idx").on(table.sourceLoanId, table.customerId),
  ],
);

/**
 * The append-only payments ledger: API payments only (a workbook loan's settled periods are
 * derived from its terms). One payment per (loan, period), enforced here as well as by the
 * loan's conditional update.
 */
export const payments = sqliteTable(
  "payments",
  {
    id: integer("id").primaryKey(),
    loanId: integer("loan_id")
      .notNull()
      .references(() => loans.id),
    customerId: integer("customer_id")
      .notNull()
      .references(() => customers.id),
    period: integer("period").notNull(),
    paidOn: text("paid_on").notNull(),
    amountPaise: integer("amount_paise").notNull(),
    interestPaise: integer("interest_paise").notNull(),
    principalPaise: integer("principal_paise").notNull(),
    balanceAfterPaise: integer("balance_after_paise").notNull(),
    onTime: integer("on_time", { mode: "boolean" }).notNull(),
    source: text("source", { enum: ["api"] })
      .notNull()
      .default("api"),
    idempotencyKey: text("idempotency_key"),
    createdAt: text("created_at").notNull().default(NOW_ISO),
  },
  (table) => [
    uniqueIndex("payments_loan_period_idx").on(table.loanId, table.period),
    // A replayed make-payment finds its payment's id by the key it was made with.
    index("payments_idempotency_key_idx").on(table.idempotencyKey),
  ],
);

/** Responses of register, create-loan and make-payment kept 24 hours, keyed by the Idempotency-Key. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    key: text("key").primaryKey(),
    requestHash: text("request_hash").notNull(),
    responseStatus: integer("response_status").notNull(),
    /**
     * The response body as JSON. A booking's `loan_id` is kept in its own column, set at booking;
     * a payment's stays null (its replay finds the payment by the key: src/db/payments.ts), and so
     * does a registration's (its body gets the customer's id in SQL: src/db/idempotency.ts).
     */
    responseBody: text("response_body").notNull(),
    loanId: integer("loan_id"),
    /** Epoch milliseconds. */
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("idempotency_keys_expires_at_idx").on(table.expiresAt)],
);

/*
 * Every create-loan decision, approved or refused, written append-only in the same atomic batch
 * as the booking or the refusal (docs/decisions.md). Money in paise and rates in basis points as
 * elsewhere; the inputs, score breakdown and reasons are JSON, in the shapes the pure decision
 * takes and gives (src/db/decisions.ts), so a record can be replayed.
 */
export const decisionRecords = sqliteTable(
  "decision_records",
  {
    /** Insertion order: newest first is `seq DESC`, and the cursor of a customer's history. */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The decision_id clients see (a random UUID, known before the write). */
    id: text("id").notNull().unique(),
    customerId: integer("customer_id")
      .notNull()
      .references(() => customers.id),
    /** The loan booked, for an approval. */
    loanId: integer("loan_id"),
    /** When it was decided (ISO 8601, UTC): what retention counts from. */
    createdAt: text("created_at").notNull(),
    asOfDate: text("as_of_date").notNull(),
    modelVersion: text("model_version").notNull(),
    idempotencyKey: text("idempotency_key"),
    approved: integer("approved", { mode: "boolean" }).notNull(),
    creditScore: integer("credit_score").notNull(),
    /** The corrected rate: booked, or the one that would have applied. */
    interestRateBp: integer("interest_rate_bp").notNull(),
    monthlyInstalmentPaise: integer("monthly_instalment_paise").notNull(),
    message: text("message").notNull(),
    startDate: text("start_date"),
    endDate: text("end_date"),
    /** JSON: the loan request (paise, basis points, months). */
    request: text("request").notNull(),
    /**
     * JSON: what the decision read, in one of three forms (src/db/decision-inputs.ts). Since
     * parts, the borrower's facts and the keys of its loans' parts in `decision_inputs`; before
     * migration 0009, everything it read (salary, limit, every loan); in between, empty.
     */
    inputs: text("inputs").notNull(),
    /**
     * Only in records made between migration 0009 and parts: the key of one stored copy of
     * everything the decision read, in `decision_inputs`.
     */
    inputsDigest: text("inputs_digest"),
    /** JSON: the score's components. */
    scoreBreakdown: text("score_breakdown").notNull(),
    /** JSON: each reason with its principal reason (and score factors for a low score). */
    reasons: text("reasons").notNull(),
  },
  (table) => [
    index("decision_records_customer_seq_idx").on(table.customerId, table.seq),
    // The retention sweep deletes the oldest first.
    index("decision_records_created_at_idx").on(table.createdAt),
  ],
);

/*
 * Stored decision inputs, keyed by the SHA-256 of their JSON text (hex), shared by every record
 * that read the same: a part (a JSON array of up to 64 loans as a decision read them) or, from
 * records made before parts, a whole copy (salary, limit, every loan). `records` counts the
 * records that read the row: written in a record's batch only when the record is, and the
 * retention sweep deletes the row with its last record (counted, since an index on the records'
 * keys would have had to be built over the whole table by a migration).
 */
export const decisionInputs = sqliteTable("decision_inputs", {
  digest: text("digest").primaryKey(),
  inputs: text("inputs").notNull(),
  records: integer("records").notNull(),
});

export type CustomerRecord = typeof customers.$inferSelect;
export type LoanRecord = typeof loans.$inferSelect;
export type IdempotencyRecord = typeof idempotencyKeys.$inferSelect;
export type PaymentRecord = typeof payments.$inferSelect;
export type DecisionRow = typeof decisionRecords.$inferSelect;

/*
 * Ingestion bookkeeping. A job is one run of `npm run ingest`; each queue message carries one
 * chunk of rows, identified by (job_id, seq). Counts are derived from the chunk rows, which the
 * consumer updates in the same atomic batch as the data, so redelivery never double counts.
 */

export const ingestChunks = sqliteTable(
  "ingest_chunks",
  {
    jobId: text("job_id").notNull(),
    seq: integer("seq").notNull(),
    kind: text("kind", { enum: ["customers", "loans"] }).notNull(),
    rows: integer("rows").notNull(),
    status: text("status", { enum: ["queued", "retrying", "landed", "dead"] }).notNull(),
    rowsLanded: integer("rows_landed").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: text("created_at").notNull().default(NOW_ISO),
    updatedAt: text("updated_at").notNull().default(NOW_ISO),
    /**
     * SHA-256 of the chunk's kind and rows, stored when the endpoint registers it: a redelivery
     * of the same chunk matches it, a different chunk under the same seq is refused (409). A
     * trigger (migrations/0005) refuses the insert in the database, so two racing sends cannot
     * both register. Null for a chunk the consumer met unregistered (a message sent around the
     * endpoint) and for chunks registered before the column existed.
     */
    contentHash: text("content_hash"),
  },
  (table) => [
    primaryKey({ columns: [table.jobId, table.seq] }),
    // The retention sweep (src/db/ingest-retention.ts): chunks oldest first, and each one's
    // job's latest activity, both found through an index instead of a scan of every job.
    index("ingest_chunks_updated_at_idx").on(table.updatedAt, table.jobId),
    index("ingest_chunks_job_updated_at_idx").on(table.jobId, table.updatedAt),
  ],
);

/** Rows the consumer refused (the script reports its own validation rejections itself). */
export const ingestRejections = sqliteTable(
  "ingest_rejections",
  {
    jobId: text("job_id").notNull(),
    kind: text("kind", { enum: ["customers", "loans"] }).notNull(),
    row: integer("row").notNull(),
    /**
     * The chunk the row came in: a client may number each chunk's rows afresh, so a row number
     * alone names no row of a job. -1 for rejections recorded before the seq was kept.
     */
    seq: integer("seq").notNull(),
    column: text("column"),
    reason: text("reason").notNull(),
    /** The row's customer, when the reason is about it (UNKNOWN_CUSTOMER). */
    customerId: integer("customer_id"),
  },
  (table) => [primaryKey({ columns: [table.jobId, table.kind, table.row, table.seq] })],
);

/** Loans that landed under another id than their workbook Loan ID (docs/ingestion.md#loan-ids). */
export const ingestRemaps = sqliteTable(
  "ingest_remaps",
  {
    jobId: text("job_id").notNull(),
    row: integer("row").notNull(),
    /** The chunk the row came in, as for rejections: -1 for remaps recorded before it was kept. */
    seq: integer("seq").notNull(),
    customerId: integer("customer_id").notNull(),
    sourceLoanId: integer("source_loan_id").notNull(),
    loanId: integer("loan_id").notNull(),
  },
  (table) => [primaryKey({ columns: [table.jobId, table.row, table.seq] })],
);

/**
 * Loan rows a chunk sent with `defer_new_ids` did not land because their Loan ID is held by a
 * stored loan that is not theirs (docs/ingestion.md#loan-ids): the client sends them again once
 * every row that keeps its own Loan ID has landed, and only then are new ids given. A row stays
 * pending (listed in the job report) until a loan with its natural key is stored.
 */
export const ingestDeferredLoans = sqliteTable(
  "ingest_deferred_loans",
  {
    jobId: text("job_id").notNull(),
    /** The chunk the row came in. */
    seq: integer("seq").notNull(),
    row: integer("row").notNull(),
    customerId: integer("customer_id").notNull(),
    sourceLoanId: integer("source_loan_id").notNull(),
    /** The row as the chunk carried it (its schema's output), JSON: what the client sends again. */
    loan: text("loan").notNull(),
  },
  (table) => [primaryKey({ columns: [table.jobId, table.row, table.seq] })],
);

/*
 * The Node server's ingest queue (src/node/queue-store.ts): every chunk the ingest endpoint
 * accepts waits here until the consumer settles it, so a crash or a restart loses none. On
 * Cloudflare the Queue itself keeps accepted messages and this table stays empty; it exists there
 * only because both runtimes apply the same migrations.
 */
export const nodeQueueMessages = sqliteTable(
  "node_queue_messages",
  {
    id: text("id").primaryKey(),
    /** The queue that holds it: the ingest queue, or its dead-letter queue. */
    queue: text("queue").notNull(),
    /** The message body as JSON. */
    body: text("body").notNull(),
    /** The number of its next delivery (1 for a message never delivered). */
    attempts: integer("attempts").notNull(),
    /** Epoch milliseconds before which it is not delivered (a send or retry delay). */
    availableAt: integer("available_at").notNull(),
    createdAt: text("created_at").notNull().default(NOW_ISO),
  },
  (table) => [index("node_queue_messages_queue_idx").on(table.queue)],
);
