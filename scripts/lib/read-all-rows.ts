import type { IngestKind } from "../../src/ingest/rows";
import type { RowOf } from "./build-row";
import type { RemappedLoan } from "./duplicate-loan-ids";
import { type ReadOptions, readRows } from "./read-workbook";
import type { RowRejection } from "./rows-left-out";

export interface WorkbookContents<R> {
  valid: R[];
  rejected: RowRejection[];
  remapped: RemappedLoan[];
  rowsRead: number;
  blankRowsSkipped: number;
}

/** Reads a whole workbook into memory: for tests and small files. */
export async function readAllRows<K extends IngestKind>(
  path: string,
  kind: K,
  options?: ReadOptions,
): Promise<WorkbookContents<RowOf<K>>> {
  const rows = readRows(path, kind, options);
  const valid: RowOf<K>[] = [];
  for await (const row of rows) valid.push(row);
  return {
    valid,
    rejected: [...rows.rejected],
    remapped: [...rows.remapped],
    rowsRead: rows.rowsRead,
    blankRowsSkipped: rows.blankRowsSkipped,
  };
}
