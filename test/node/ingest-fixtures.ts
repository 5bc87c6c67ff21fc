/*
 * Helpers for the Node ingestion tests: a temporary directory per test file, and small workbooks
 * written with exceljs's ordinary (in-memory) writer, so the streaming reader is tested against
 * files it did not produce itself.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, vi } from "vitest";
import { printSummary } from "../../scripts/ingest";
import type { IngestReport } from "../../scripts/lib/ingest-report";
import { type IngestOptions, runIngest } from "../../scripts/lib/ingest-run";
import { LENDER_LOANS_FILE } from "../../scripts/lib/lender-workbooks";
import { assertXlsxContainer, type ByteRange } from "../../scripts/lib/xlsx-container";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";

/** exceljs's temporary worksheet copies made by this process (named by the `tmp` package). */
export async function temporaryCopies(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith(`tmp-${process.pid}-`));
}

/** The lender's real workbooks (read-only; never write to them). */
export {
  LENDER_CUSTOMERS_FILE as REAL_CUSTOMERS,
  LENDER_LOANS_FILE as REAL_LOANS,
} from "../../scripts/lib/lender-workbooks";

export const CUSTOMER_HEADERS = [
  "Customer ID",
  "First Name",
  "Last Name",
  "Age",
  "Phone Number",
  "Monthly Salary",
  "Approved Limit",
];

export const LOAN_HEADERS = [
  "Customer ID",
  "Loan ID",
  "Loan Amount",
  "Tenure",
  "Interest Rate",
  "Monthly payment",
  "EMIs paid on Time",
  "Date of Approval",
  "End Date",
];

/** A fresh directory under the OS temp dir, and a function that deletes it. */
export async function createScratchDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "ingest-test-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A scratch directory for the calling test file (call it at the top level): made before its tests,
 * removed after them. Returns the path of a file in it.
 */
export function scratchFiles(): (name: string) => string {
  let scratch: Awaited<ReturnType<typeof createScratchDir>> | undefined;
  beforeAll(async () => {
    scratch = await createScratchDir();
  });
  afterAll(async () => {
    await scratch?.remove();
  });
  return (name) => {
    if (!scratch) throw new Error("scratchFiles: used outside the file's tests");
    return join(scratch.dir, name);
  };
}

export interface SheetSpec {
  name?: string;
  /** Rows from row 1 on; cells may be any exceljs cell value (formulas, rich text, Dates…). */
  rows: unknown[][];
  /** 1-based columns whose cells get a date number format, as Excel gives date cells. */
  dateColumns?: number[];
}

/** Writes a workbook with one sheet per spec, in order. */
export async function writeWorkbook(path: string, sheets: SheetSpec[]): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  sheets.forEach((spec, index) => {
    const sheet = workbook.addWorksheet(spec.name ?? `Sheet${index + 1}`);
    for (const values of spec.rows) {
      const row = sheet.addRow(values);
      for (const column of spec.dateColumns ?? []) row.getCell(column).numFmt = "dd/mm/yyyy";
    }
  });
  await workbook.xlsx.writeFile(path);
  return path;
}

/** A valid customer row in the lender's column order, with overrides by column index. */
export function customerValues(id: number, overrides: Record<number, unknown> = {}): unknown[] {
  const values: unknown[] = [id, "Asha", "Rao", 34, 9_000_000_000 + id, 52_000, 1_900_000];
  for (const [index, value] of Object.entries(overrides)) values[Number(index)] = value;
  return values;
}

/** A valid loan row in the lender's column order (dates as Excel serials), with overrides. */
export function loanValues(
  customerId: number,
  loanId: number,
  overrides: Record<number, unknown> = {},
): unknown[] {
  const values: unknown[] = [customerId, loanId, 250_000, 24, 11.5, 11_710, 10, 45_000, 45_731];
  for (const [index, value] of Object.entries(overrides)) values[Number(index)] = value;
  return values;
}

/**
 * A customers and a loans workbook in the lender's layout (headers first, loan dates formatted as
 * dates), from rows of `customerValues` and `loanValues`. Returns their paths.
 */
export async function writeLenderWorkbooks(
  paths: { customers: string; loans: string },
  rows: { customers: unknown[][]; loans: unknown[][] },
): Promise<{ customers: string; loans: string }> {
  return {
    customers: await writeWorkbook(paths.customers, [
      { rows: [CUSTOMER_HEADERS, ...rows.customers] },
    ]),
    loans: await writeWorkbook(paths.loans, [
      { rows: [LOAN_HEADERS, ...rows.loans], dateColumns: [8, 9] },
    ]),
  };
}

/**
 * The Node server in-process over a scratch libSQL file, for one test file: started before its
 * tests (retries without delay), closed after them. `url()` is its address; `ingest()` runs the
 * real script against it, with no report file and no log unless the options say otherwise.
 */
export function ingestServerPerFile(token: string, scratch: (name: string) => string) {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer(
      settingsFromEnv({
        PORT: "0",
        DATABASE_URL: `file:${scratch("credit.db")}`,
        INGEST_TOKEN: token,
        INGEST_RETRY_DELAY_SECONDS: "0",
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
  });
  const url = () => {
    if (!server) throw new Error("the ingest test server has not started");
    return server.url;
  };
  const ingest = (
    files: { customers: string; loans: string },
    options: Partial<IngestOptions> = {},
  ) =>
    runIngest({
      url: url(),
      token,
      customersFile: files.customers,
      loansFile: files.loans,
      reportFile: null,
      log: () => undefined,
      ...options,
    });
  return { url, ingest };
}

/** What the script prints for a report at the end of its run (its summary), as one text. */
export function printedSummary(report: IngestReport, reportFile = "report.json"): string {
  const lines: string[] = [];
  const print = vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
  try {
    printSummary(report, reportFile);
  } finally {
    print.mockRestore();
  }
  return lines.join("\n");
}

/**
 * The lender's loans workbook with its worksheet's directory entry pointing one byte past the
 * part's header, written to `path`: the reader then streams the file as stored, not reordered.
 */
export async function loansStreamedAsStored(path: string): Promise<string> {
  const bytes = Buffer.from(await readFile(LENDER_LOANS_FILE));
  const ranges = (await assertXlsxContainer(LENDER_LOANS_FILE)).order as ByteRange[];
  // The worksheet's part is streamed last; the directory follows it.
  const worksheet = ranges.at(-2)?.start ?? 0;
  let entry = ranges.at(-1)?.start ?? 0;
  while (bytes.readUInt32LE(entry + 42) !== worksheet) {
    entry +=
      46 +
      bytes.readUInt16LE(entry + 28) +
      bytes.readUInt16LE(entry + 30) +
      bytes.readUInt16LE(entry + 32);
  }
  bytes.writeUInt32LE(worksheet + 1, entry + 42);
  await writeFile(path, bytes);
  return path;
}
