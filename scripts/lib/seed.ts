import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { printSummary } from "../ingest";
import { IngestRequestError } from "./ingest-request-error";
import { ingestLenderWorkbooks } from "./lender-workbooks";

export interface SeedTarget {
  /** The running API to ingest into. */
  url: string;
  token: string;
  /** How many customers and loans it holds now. */
  storedRows: () => Promise<{ customers: number; loans: number }>;
  reportFile: string;
}

/**
 * The token `npm start` and `npm run serve` give their server when the user set none: known only
 * to the process that seeds, so no published default ever opens the ingest endpoints.
 */
export function randomIngestToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * `npm start` and `npm run serve`: load the bundled workbooks through the real ingest path when
 * the database holds no customer; a filled database starts as it is. A failure is reported and
 * the API keeps serving.
 */
export async function seedWhenEmpty(target: SeedTarget): Promise<void> {
  let stored: { customers: number; loans: number };
  try {
    stored = await target.storedRows();
  } catch (error) {
    // The server refused the token (ingest off, or another token): serve without seeding.
    if (error instanceof IngestRequestError && error.status === 401) {
      console.log("not seeding: the ingest endpoint refused the token (is INGEST_TOKEN empty?)");
      return;
    }
    throw error;
  }
  if (stored.customers > 0) {
    console.log(
      `database holds ${stored.customers} customers and ${stored.loans} loans; not ingesting`,
    );
    return;
  }
  console.log(
    "empty database: ingesting data/customer_data.xlsx and data/loan_data.xlsx through the queue",
  );
  mkdirSync(dirname(target.reportFile), { recursive: true });
  try {
    const report = await ingestLenderWorkbooks({
      url: target.url,
      token: target.token,
      reportFile: target.reportFile,
    });
    printSummary(report, target.reportFile);
  } catch (error) {
    console.error(
      `seeding failed: ${(error as Error).message}. Retry with: npm run ingest -- --url ${target.url}`,
    );
  }
}
