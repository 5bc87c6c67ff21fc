/*
 * Writes large, realistic workbooks in the lender's format for load-testing ingestion:
 *   npx tsx scripts/generate-data.ts --customers 100000 --loans 1000000 --out .data/ [--seed 1]
 * The same seed always gives the same rows.
 */

import { monotonicNow } from "../src/lib/monotonic-clock";
import { argsOrExit, callerPathOr } from "./lib/command-line";
import { writeSyntheticWorkbooks } from "./lib/synthetic-workbooks";

const DEFAULTS = { customers: 300, loans: 782, out: ".data/", seed: 1 };
const USAGE = `usage: npm run generate-data -- [--customers N] [--loans N] [--out DIR] [--seed N] (defaults ${DEFAULTS.customers}, ${DEFAULTS.loans}, ${DEFAULTS.out}, ${DEFAULTS.seed})`;
const FAILED = "generate-data failed: ";

/** A bad value is answered as an unknown option is: what is wrong, then the usage; exit 1. */
function usageError(reason: string): never {
  console.error(`${FAILED}${reason}; ${USAGE}`);
  process.exit(1);
}

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    usageError(`--${name} must be a whole number ≥ 0, got "${text}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = argsOrExit(
    {
      options: {
        customers: { type: "string" },
        loans: { type: "string" },
        out: { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    },
    FAILED,
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const customers = count("customers", values.customers, DEFAULTS.customers);
  const loans = count("loans", values.loans, DEFAULTS.loans);
  const seed = count("seed", values.seed, DEFAULTS.seed);
  if (loans > 0 && customers === 0) usageError("--loans needs at least one customer");
  // An --out the operator names is from the folder npm was run from; the default is the project's.
  const outDir = callerPathOr(values.out, DEFAULTS.out);
  const started = monotonicNow();
  let currentFile = "";
  const files = await writeSyntheticWorkbooks({
    customers,
    loans,
    seed,
    outDir,
    onProgress: (file, rows) => {
      if (currentFile !== "" && file !== currentFile) process.stderr.write("\n");
      currentFile = file;
      process.stderr.write(`\r${file}: ${rows.toLocaleString("en")} rows`);
    },
  });
  process.stderr.write("\n");
  const seconds = ((monotonicNow() - started) / 1000).toFixed(1);
  console.log(
    `wrote ${files.customerFile} (${customers} customers) and ${files.loanFile} (${loans} loans) in ${seconds} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
