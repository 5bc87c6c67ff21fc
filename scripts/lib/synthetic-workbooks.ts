/*
 * Writes synthetic workbooks with exceljs's streaming writer: each row is committed as soon as it
 * is made and the archive is compressed and flushed to disk as we go, so memory stays flat for
 * millions of rows.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import ExcelJS from "exceljs";
import { lenderHeaders } from "./headers";
import { syntheticCustomers, syntheticLoans } from "./synthetic-rows";

export interface SyntheticWorkbookOptions {
  customers: number;
  loans: number;
  seed: number;
  outDir: string;
  /** Called every `PROGRESS_EVERY` rows with the file's name and the rows written so far. */
  onProgress?: (file: string, rowsWritten: number) => void;
}

export interface SyntheticWorkbookFiles {
  customerFile: string;
  loanFile: string;
}

const PROGRESS_EVERY = 10_000;
/** Rows written between two turns of the event loop for the compressor and the disk. */
const ROWS_PER_TURN = 100;
/** Bytes of buffered output above which writing pauses until the disk catches up. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Never pause longer than this per turn: the guard is a brake, not a lock. */
const MAX_PAUSES_PER_TURN = 200;
/** The real file's date style: the cells hold serial numbers that Excel shows as dates. */
const DATE_FORMAT = "yyyy-mm-dd";
const LOAN_DATE_COLUMNS = [8, 9];

/**
 * exceljs's streaming writer ignores backpressure: a committed row sits in memory until zlib and
 * the disk take it, and they only get to run when we await. A turn every few rows lets compression
 * keep pace; if buffers still pile up (a slow disk), pause briefly until they drain.
 */
async function letWriterCatchUp(): Promise<void> {
  await nextTurn();
  for (let pause = 0; pause < MAX_PAUSES_PER_TURN; pause++) {
    if (process.memoryUsage().arrayBuffers <= MAX_BUFFERED_BYTES) return;
    await sleep(10);
  }
}

async function writeSheet(
  filename: string,
  headers: string[],
  rows: Iterable<(string | number)[]>,
  dateColumns: readonly number[],
  onProgress?: (file: string, rowsWritten: number) => void,
): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename,
    useStyles: true,
    useSharedStrings: true,
  });
  const sheet = workbook.addWorksheet("Sheet1");
  sheet.addRow(headers).commit();
  let written = 0;
  for (const values of rows) {
    const row = sheet.addRow(values);
    for (const column of dateColumns) row.getCell(column).numFmt = DATE_FORMAT;
    row.commit();
    written++;
    if (written % ROWS_PER_TURN === 0) await letWriterCatchUp();
    if (written % PROGRESS_EVERY === 0) onProgress?.(filename, written);
  }
  sheet.commit();
  await workbook.commit();
  onProgress?.(filename, written);
}

/** Writes `customer_data.xlsx` and `loan_data.xlsx` into `outDir`; same seed, same rows. */
export async function writeSyntheticWorkbooks(
  options: SyntheticWorkbookOptions,
): Promise<SyntheticWorkbookFiles> {
  await mkdir(options.outDir, { recursive: true });
  const customerFile = join(options.outDir, "customer_data.xlsx");
  const loanFile = join(options.outDir, "loan_data.xlsx");
  await writeSheet(
    customerFile,
    lenderHeaders("customers"),
    syntheticCustomers(options.customers, options.seed),
    [],
    options.onProgress,
  );
  await writeSheet(
    loanFile,
    lenderHeaders("loans"),
    syntheticLoans(options.loans, options.customers, options.seed),
    LOAN_DATE_COLUMNS,
    options.onProgress,
  );
  return { customerFile, loanFile };
}
