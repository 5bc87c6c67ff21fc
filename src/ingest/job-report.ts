import * as v from "valibot";
import { LoanRowSchema } from "./rows";

/*
 * What the ingest endpoints answer, as the server builds it (src/routes/ingest/) and as the
 * script reads it back (scripts/lib/ingest-answer.ts): one schema for both sides, so an answer of
 * another shape (a proxy's `{}`, an older release) is refused by name instead of read as numbers.
 */

const count = v.pipe(v.number("must be a number"), v.integer("must be a whole number"));
const kind = v.picklist(["customers", "loans"], 'must be "customers" or "loans"');
/**
 * The chunk a rejected or remapped row came in (row numbers are unique within a chunk only).
 * Absent for rows recorded before the seq was kept, and from an older release's report, which a
 * newer script still reads.
 */
const chunkSeq = v.optional(count);

const KindTotalsSchema = v.object(
  {
    chunks: count,
    received: count,
    landed: count,
    rejected: count,
    queued: count,
    retrying: count,
    dead: count,
    /**
     * Rows of chunks sent with `defer_new_ids` that wait to be sent again (`deferred_loans`):
     * received, neither landed nor rejected. Absent from an older release's report.
     */
    deferred: v.optional(count),
    /**
     * Deliveries of the kind's chunks the consumer has noted, summed: it rises while the consumer
     * retries a chunk, which the client's wait counts as progress (scripts/lib/ingest-send.ts).
     * Absent from an older release's report.
     */
    attempts: v.optional(count),
  },
  "must be an object",
);

/** GET /ingest/jobs/{job_id}: where every chunk of a job is, with rejections and remapped ids. */
export const JobReportSchema = v.object(
  {
    job_id: v.string("must be text"),
    done: v.boolean("must be true or false"),
    customers: KindTotalsSchema,
    loans: KindTotalsSchema,
    rejections: v.array(
      v.object(
        {
          kind,
          row: count,
          column: v.nullable(v.string("must be text")),
          reason: v.string("must be text"),
          /**
           * Present when the reason is about the row's customer: a loan's UNKNOWN_CUSTOMER, or a
           * customer row refused as another person's (its Customer ID or phone number is stored
           * for someone else).
           */
          customer_id: v.optional(count),
          seq: chunkSeq,
        },
        "must be an object",
      ),
      "must be a list",
    ),
    remapped_loans: v.array(
      v.object(
        { row: count, customer_id: count, source_loan_id: count, loan_id: count, seq: chunkSeq },
        "must be an object",
      ),
      "must be a list",
    ),
    /**
     * How many rejections, and remapped loans, the lists above leave out: each lists at most the
     * first 10,000 (REPORT_LISTS_AT_MOST); absent when nothing was left out, and from an older
     * release's report.
     */
    rejections_not_listed: v.optional(count),
    remapped_loans_not_listed: v.optional(count),
    /**
     * Loan rows a chunk sent with `defer_new_ids` did not land, as the chunk carried them, for the
     * client to send again without it once every row keeping its own Loan ID has landed
     * (docs/ingestion.md#loan-ids). A row leaves the list once a loan with its Loan ID and
     * customer is stored. At most the first 10,000 by row; absent from an older release's report.
     */
    deferred_loans: v.optional(
      v.array(v.object({ seq: count, loan: LoanRowSchema }, "must be an object"), "must be a list"),
    ),
    deferred_loans_not_listed: v.optional(count),
    dead_chunks: v.array(
      v.object(
        {
          seq: count,
          kind,
          rows: count,
          attempts: count,
          reason: v.nullable(v.string("must be text")),
        },
        "must be an object",
      ),
      "must be a list",
    ),
  },
  "must be an object",
);
export type JobReport = v.InferOutput<typeof JobReportSchema>;

/** GET /ingest/summary: how many customers and loans are stored. */
export const StoredRowsSchema = v.object({ customers: count, loans: count }, "must be an object");
export type StoredRows = v.InferOutput<typeof StoredRowsSchema>;

/** POST /ingest/batches (202): how many messages and rows were taken. */
export const AcceptedBatchSchema = v.object({ accepted: count, rows: count }, "must be an object");
export type AcceptedBatch = v.InferOutput<typeof AcceptedBatchSchema>;
