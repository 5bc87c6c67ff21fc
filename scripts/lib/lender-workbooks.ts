import { fileURLToPath } from "node:url";

/** The lender's bundled workbooks (read-only: tools and tests load them, never write them). */
export const LENDER_CUSTOMERS_FILE = fileURLToPath(
  new URL("../../data/customer_data.xlsx", import.meta.url),
);
export const LENDER_LOANS_FILE = fileURLToPath(
  new URL("../../data/loan_data.xlsx", import.meta.url),
);
