import type { CellProblem } from "./build-row";

/*
 * What a workbook's read leaves out of the ingest, and reports: rows it rejects, and the rows of
 * worksheets it does not read.
 */

/** A row that failed validation; reading went on without it. */
export interface RowRejection {
  /** The workbook's file name. */
  file: string;
  /** The worksheet row number (the header is row 1). */
  row: number;
  /** The header of the first bad column, or null when the problem is not about one column. */
  column: string | null;
  /** What is wrong with that column. */
  reason: string;
  /** Every problem found in the row, in column order (the first is `column`/`reason`). */
  problems: CellProblem[];
}

/** A worksheet after the first that holds this kind's columns and rows under them. */
export interface SheetNotRead {
  name: string;
  rows: number;
}
