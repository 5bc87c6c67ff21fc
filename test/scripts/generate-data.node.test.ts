/*
 * scripts/generate-data.ts must write workbooks that look like the lender's (same headers, Excel
 * serial dates, a few reused Loan IDs, every loan's customer present) and that the reader parses.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAllRows, type WorkbookContents } from "../../scripts/lib/read-all-rows";
import { writeSyntheticWorkbooks } from "../../scripts/lib/synthetic-workbooks";
import type { CustomerRow, LoanRow } from "../../src/ingest/rows";
import { CUSTOMER_HEADERS, createScratchDir, LOAN_HEADERS } from "../node/ingest-fixtures";

const run = promisify(execFile);
const SCRIPT = new URL("../../scripts/generate-data.ts", import.meta.url).pathname;
const USAGE =
  "usage: npm run generate-data -- [--customers N] [--loans N] [--out DIR] [--seed N] (defaults 300, 782, .data/, 1)";

let scratch: Awaited<ReturnType<typeof createScratchDir>>;
let customers: WorkbookContents<CustomerRow>;
let loans: WorkbookContents<LoanRow>;
const generatedDir = () => join(scratch.dir, "generated");

beforeAll(async () => {
  scratch = await createScratchDir();
  const args = ["--customers", "200", "--loans", "1000", "--seed", "7", "--out", generatedDir()];
  await run(process.execPath, ["--import", "tsx", SCRIPT, ...args]);
  customers = await readAllRows(join(generatedDir(), "customer_data.xlsx"), "customers");
  loans = await readAllRows(join(generatedDir(), "loan_data.xlsx"), "loans");
});
afterAll(async () => {
  await scratch.remove();
});

async function firstSheet(path: string): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error(`${path} has no worksheet`);
  return sheet;
}

describe("generate-data", () => {
  it("writes as many valid rows as asked for", () => {
    expect(customers.valid).toHaveLength(200);
    expect(loans.valid).toHaveLength(1000);
    expect([...customers.rejected, ...loans.rejected]).toEqual([]);
  });

  it("uses the lender's headers and stores dates as date-formatted Excel serials", async () => {
    const customerSheet = await firstSheet(join(generatedDir(), "customer_data.xlsx"));
    expect(customerSheet.getRow(1).values).toEqual([undefined, ...CUSTOMER_HEADERS]);
    const loanSheet = await firstSheet(join(generatedDir(), "loan_data.xlsx"));
    expect(loanSheet.getRow(1).values).toEqual([undefined, ...LOAN_HEADERS]);
    const approval = loanSheet.getRow(2).getCell(8);
    // The in-memory reader turns a number with a date format into a Date; text would stay text.
    expect(approval.value).toBeInstanceOf(Date);
    expect((approval.value as Date).toISOString().slice(0, 10)).toBe(loans.valid[0]?.start_date);
  });

  it("gives every loan an existing customer and every customer a distinct phone", () => {
    const ids = new Set(customers.valid.map((c) => c.customer_id));
    expect(loans.valid.every((loan) => ids.has(loan.customer_id))).toBe(true);
    expect(new Set(customers.valid.map((c) => c.phone_number)).size).toBe(200);
  });

  it("reuses a few Loan IDs, each time for another customer", () => {
    expect(loans.remapped.length).toBeGreaterThan(0);
    expect(loans.remapped.length).toBeLessThan(20);
    const byRow = new Map(loans.valid.map((loan) => [loan.row, loan]));
    for (const entry of loans.remapped) {
      expect(byRow.get(entry.first_row)?.customer_id).not.toBe(entry.customer_id);
    }
  });

  it("writes the same rows for the same seed and other rows for another seed", async () => {
    const read = async (seed: number, name: string) => {
      const outDir = join(scratch.dir, name);
      const files = await writeSyntheticWorkbooks({ customers: 50, loans: 300, seed, outDir });
      return [
        (await readAllRows(files.customerFile, "customers")).valid,
        (await readAllRows(files.loanFile, "loans")).valid,
      ];
    };
    const first = await read(11, "seed-11-a");
    expect(await read(11, "seed-11-b")).toEqual(first);
    expect(await read(12, "seed-12")).not.toEqual(first);
  });

  it("writes a relative --out in the folder npm was run from", async () => {
    // As `cd <scratch> && npm --prefix <project> run generate-data -- --out relative`: npm starts
    // the script in the project's folder, where the workbooks went.
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", SCRIPT, "--customers", "2", "--loans", "2", "--out", "relative"],
      {
        cwd: new URL("../..", import.meta.url).pathname,
        env: { ...process.env, INIT_CWD: scratch.dir },
      },
    );
    const written = join(scratch.dir, "relative");
    expect(stdout).toMatch(
      `wrote ${written}/customer_data.xlsx (2 customers) and ${written}/loan_data.xlsx (2 loans)`,
    );
    expect((await readAllRows(join(written, "loan_data.xlsx"), "loans")).valid).toHaveLength(2);
  });

  // Every other tool answers `-- --help` with its usage; this one said only "Unknown option '--help'"
  // and exit 1, and a typo such as --customer named nothing of the options README lists.
  it("answers --help with its usage, and an unknown option with the usage too", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", SCRIPT, "--help"]);
    expect(stdout).toBe(`${USAGE}\n`);
    await expect(
      run(process.execPath, ["--import", "tsx", SCRIPT, "--customer", "5"]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: `generate-data failed: Unknown option '--customer'; ${USAGE}\n`,
    });
  });

  // A bad value printed its bare message, without the prefix and the usage an unknown option gets.
  it("answers a count that is not a whole number as it answers an unknown option", async () => {
    await expect(
      run(process.execPath, ["--import", "tsx", SCRIPT, "--customers", "abc"]),
    ).rejects.toMatchObject({
      code: 1,
      stderr: `generate-data failed: --customers must be a whole number ≥ 0, got "abc"; ${USAGE}\n`,
    });
  });

  it("refuses loans without customers", async () => {
    const args = [
      "--import",
      "tsx",
      SCRIPT,
      "--customers",
      "0",
      "--loans",
      "5",
      "--out",
      generatedDir(),
    ];
    await expect(run(process.execPath, args)).rejects.toMatchObject({
      stderr: expect.stringContaining("--loans needs at least one customer"),
    });
  });
});
