import { ReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import type ExcelJS from "exceljs";

/*
 * exceljs's streaming reader as read-workbook.ts drives it: its options, the parts of its objects
 * its typings lack, the temporary copy it may leave behind, and its rows' values.
 */

export const STREAMING_OPTIONS = {
  worksheets: "emit",
  sharedStrings: "cache",
  hyperlinks: "ignore",
  entries: "ignore",
  // Without styles exceljs does not turn date-formatted numbers into Dates: we get the Excel
  // serial itself and convert it with Excel's own calendar rules (cells.ts).
  styles: "ignore",
} as const;

/**
 * How often a file is read before an error inside exceljs counts. Its streaming reader can lose
 * the zip's parts that follow a worksheet it set aside in a temporary copy (unzipper reaches the
 * end of the zip and announces it while those parts still wait in its buffer): rarely, under
 * load, and always before the first row, as an exceljs TypeError (no sheet list, no shared
 * strings). The same file read again is read whole; a damaged file fails every time. Files are
 * streamed worksheets last when their zip allows it (xlsx-container.ts): with the shared strings
 * and the sheet list before the sheet, exceljs makes no copy and this race cannot happen.
 */
export const READ_ATTEMPTS = 3;

/** Parts of exceljs's streaming objects that exist at runtime but are missing from its typings. */
export interface StreamedWorkbook {
  /** The sheet list in tab order; `state` is "hidden" or "veryHidden" for a hidden sheet. */
  model?: { sheets?: { name?: string; state?: string }[] };
  properties?: { model?: { date1904?: boolean } };
}
export interface StreamedWorksheet extends AsyncIterable<ExcelJS.Row> {
  name?: string;
  /** The sheet's XML: the zip entry itself, or a temporary copy of it (see below). */
  iterator?: unknown;
}

/**
 * When the stream brings a worksheet before the shared strings (Excel's stored order, when the
 * file could not be streamed worksheets last), exceljs copies the worksheet to a temporary file
 * and deletes the copy only after the sheet is read to the end. When we stop early (bad header,
 * damaged file, the caller stopped), we delete it ourselves.
 */
export async function discardTemporaryCopy(source: unknown): Promise<void> {
  if (!(source instanceof ReadStream) || typeof source.path !== "string") return;
  source.destroy();
  await rm(source.path, { force: true });
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<Buffer | string> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

export function rowValues(row: ExcelJS.Row): unknown[] {
  const values: unknown = row.values;
  return Array.isArray(values) ? values : Object.values(values ?? {});
}

/**
 * The sheet read, as a message names it: the operator may be looking at another tab (a hidden or an
 * empty sheet before the data), and "missing every column" alone does not say which sheet lacks them.
 */
export function describeSheet(sheet: { name?: string; state?: string } | undefined): string {
  const hidden = sheet?.state === "hidden" || sheet?.state === "veryHidden";
  const details = [
    ...(sheet?.name === undefined ? [] : [`"${sheet.name}"`]),
    ...(hidden ? ["hidden"] : []),
  ];
  return `the first worksheet${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
}
