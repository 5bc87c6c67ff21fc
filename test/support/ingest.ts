import type { Database } from "../../src/db/database";
import { consumeIngestBatch } from "../../src/ingest/consumer";
import type { IngestMessage } from "../../src/ingest/messages";
import type { CustomerRow, LoanRow } from "../../src/ingest/rows";
import { noTelemetry, type Telemetry } from "../../src/telemetry";
import { backend } from "./backend";

export function customerRow(id: number, overrides: Partial<CustomerRow> = {}): CustomerRow {
  return {
    row: id + 1,
    customer_id: id,
    first_name: `First${id}`,
    last_name: `Last${id}`,
    age: 30 + (id % 40),
    phone_number: 8_000_000_000 + id,
    monthly_salary: 50_000,
    approved_limit: 1_800_000,
    ...overrides,
  };
}

export function loanRow(
  loanId: number,
  customerId: number,
  overrides: Partial<LoanRow> = {},
): LoanRow {
  return {
    row: loanId,
    customer_id: customerId,
    loan_id: loanId,
    loan_amount: 100_000,
    tenure: 12,
    interest_rate: 8.2,
    monthly_payment: 8_716.13,
    emis_paid_on_time: 10,
    start_date: "2023-01-10",
    end_date: "2024-01-10",
    ...overrides,
  };
}

export function chunk(
  jobId: string,
  seq: number,
  kind: "customers",
  rows: CustomerRow[],
): IngestMessage;
export function chunk(jobId: string, seq: number, kind: "loans", rows: LoanRow[]): IngestMessage;
export function chunk(
  jobId: string,
  seq: number,
  kind: "customers" | "loans",
  rows: CustomerRow[] | LoanRow[],
): IngestMessage {
  return { job_id: jobId, seq, kind, rows } as IngestMessage;
}

export async function loanRowsOf(customerId: number) {
  return backend().query<{ id: number; source_loan_id: number | null; loan_amount_paise: number }>(
    "SELECT id, source_loan_id, loan_amount_paise FROM loans WHERE customer_id = ? ORDER BY id",
    [customerId],
  );
}

/** How a loan row whose customer is in no workbook is rejected in the server's job report. */
export function unknownCustomerRejection(row: number, customerId: number) {
  return { row, column: "customer_id", reason: "UNKNOWN_CUSTOMER", customer_id: customerId };
}

/** The same rejection in the script's report: named by the loans workbook's Customer ID header. */
export function reportedUnknownCustomer(row: number, customerId: number, header = "Customer ID") {
  return {
    ...unknownCustomerRejection(row, customerId),
    column: header,
    server_column: "customer_id",
  };
}

/**
 * Delivers the message to the queue consumer once, on `db`, as the queue would on the given
 * attempt, reporting to `telemetry`; returns whether it was acked or retried.
 */
export async function deliverOnce(
  db: Database,
  message: IngestMessage,
  attempts = 1,
  telemetry: Telemetry = noTelemetry,
) {
  const outcomes: string[] = [];
  const delivered = {
    id: `${message.job_id}-${attempts}`,
    body: message,
    attempts,
    ack: () => outcomes.push("ack"),
    retry: () => outcomes.push("retry"),
  };
  await consumeIngestBatch(
    { queue: "credit-ingest", messages: [delivered] },
    db,
    { ingestRetryDelaySeconds: 0 },
    telemetry,
  );
  return outcomes;
}
