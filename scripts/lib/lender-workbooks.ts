import { fileURLToPath } from "node:url";
import type { IngestReport } from "./ingest-report";
import { type IngestOptions, runIngest } from "./ingest-run";

/** The lender's bundled workbooks (read-only: tools and tests load them, never write them). */
export const LENDER_CUSTOMERS_FILE = fileURLToPath(
  new URL("../../data/customer_data.xlsx", import.meta.url),
);
export const LENDER_LOANS_FILE = fileURLToPath(
  new URL("../../data/loan_data.xlsx", import.meta.url),
);

/** Loads the lender's workbooks into a running API through the ingest endpoint and queue. */
export function ingestLenderWorkbooks(
  options: Omit<IngestOptions, "customersFile" | "loansFile">,
): Promise<IngestReport> {
  return runIngest({
    ...options,
    customersFile: LENDER_CUSTOMERS_FILE,
    loansFile: LENDER_LOANS_FILE,
  });
}
