import type ExcelJS from "exceljs";
import type { IngestKind } from "../../src/ingest/rows";
import { isBlankCell, unwrapCell } from "./cells";
import { type HeaderCell, type IngestField, type MappedColumn, mapHeaders } from "./headers";
import { rowValues } from "./streamed-workbook";
import { WorkbookError } from "./workbook-error";

/*
 * A worksheet's header row as exceljs streams it: its cells mapped to this kind's columns (a
 * WorkbookError where they are not all there), and the rows under such a header on another sheet.
 */

function headerCells(row: ExcelJS.Row): HeaderCell[] {
  const cells: HeaderCell[] = [];
  rowValues(row).forEach((raw, column) => {
    const value = unwrapCell(raw);
    if (value === null || (typeof value === "object" && !(value instanceof Date))) return;
    cells.push({ column, text: String(value) });
  });
  return cells;
}

/** Non-blank rows under a header with this kind's columns; 0 for a sheet without one. */
export async function rowsUnderHeader(
  kind: IngestKind,
  worksheet: AsyncIterable<ExcelJS.Row>,
): Promise<number> {
  let hasColumns: boolean | null = null;
  let rows = 0;
  for await (const row of worksheet) {
    if (rowValues(row).every(isBlankCell)) continue;
    if (hasColumns === null) hasColumns = mapHeaders(kind, headerCells(row)).ok;
    else if (hasColumns) rows++;
  }
  return rows;
}

/** `path`: the workbook, as its WorkbookError names it; `sheet`: as messages name the worksheet. */
export function mapHeader(
  path: string,
  kind: IngestKind,
  row: ExcelJS.Row,
  sheet: string,
): MappedColumn<IngestField>[] {
  const mapping = mapHeaders(kind, headerCells(row));
  if (!mapping.ok) {
    throw new WorkbookError(path, `${sheet}, header row ${row.number}: ${mapping.problem}`);
  }
  return mapping.columns;
}
