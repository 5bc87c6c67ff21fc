import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { printSummary } from "../ingest";
import { runIngest } from "./ingest-run";

const DATA = fileURLToPath(new URL("../../data/", import.meta.url));

export interface SeedTarget {
  /** The running API to ingest into. */
  url: string;
  token: string;
  /** How many customers and loans it holds now. */
  storedRows: () => Promise<{ customers: number; loans: number }>;
  reportFile: string;
}

/**
 * `npm start` and `npm run serve`: load the bundled workbooks through the real ingest path when
 * the database holds no customer; a filled database starts as it is. A failure is reported and
 * the API keeps serving.
 */
export async function seedWhenEmpty(target: SeedTarget): Promise<void> {
  const stored = await target.storedRows();
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
    const report = await runIngest({
      url: target.url,
      token: target.token,
      customersFile: join(DATA, "customer_data.xlsx"),
      loansFile: join(DATA, "loan_data.xlsx"),
      reportFile: target.reportFile,
    });
    printSummary(report, target.reportFile);
  } catch (error) {
    console.error(
      `seeding failed: ${(error as Error).message}. Retry with: npm run ingest -- --url ${target.url}`,
    );
  }
}
