/*
 * Turns one worksheet row into a validated row or a list of problems: each mapped cell is
 * normalised and converted (scripts/lib/cells.ts), then the shared valibot schema checks the whole
 * row. Problems name the column as the file's header writes it, so the lender can find the cell.
 */
import * as v from "valibot";
import {
  type CustomerRow,
  CustomerRowSchema,
  type IngestKind,
  type LoanRow,
  LoanRowSchema,
  toFieldProblems,
} from "../../src/ingest/rows";
import {
  type Converted,
  type DateSystem,
  toIsoDate,
  toNumber,
  toRoundedNumber,
  toText,
} from "./cells";
import type { IngestField, MappedColumn } from "./headers";

type CellConverter = (raw: unknown, system: DateSystem) => Converted<string | number>;

/** Money and rates are rounded half-up to 2 decimals here; ids and counts must already be whole. */
const CONVERTERS: Record<IngestField, CellConverter> = {
  customer_id: toNumber,
  loan_id: toNumber,
  age: toNumber,
  phone_number: toNumber,
  tenure: toNumber,
  emis_paid_on_time: toNumber,
  first_name: toText,
  last_name: toText,
  monthly_salary: toRoundedNumber,
  approved_limit: toRoundedNumber,
  loan_amount: toRoundedNumber,
  monthly_payment: toRoundedNumber,
  interest_rate: toRoundedNumber,
  start_date: toIsoDate,
  end_date: toIsoDate,
};

export interface CellProblem {
  /** The column's header as written in the file; null when the problem is about the whole row. */
  column: string | null;
  reason: string;
}

export type RowOutcome<R> = { ok: true; row: R } | { ok: false; problems: CellProblem[] };

export interface RowToBuild {
  /** The worksheet row number. */
  row: number;
  /** The raw exceljs value of a 1-based column. */
  cell: (column: number) => unknown;
}

type Validate<R> = (
  candidate: Record<string, unknown>,
) => { success: true; output: R } | { success: false; issues: readonly v.BaseIssue<unknown>[] };

const VALIDATORS: { customers: Validate<CustomerRow>; loans: Validate<LoanRow> } = {
  customers: (candidate) => v.safeParse(CustomerRowSchema, candidate),
  loans: (candidate) => v.safeParse(LoanRowSchema, candidate),
};

export type RowOf<K extends IngestKind> = K extends "customers" ? CustomerRow : LoanRow;

export function buildRow<K extends IngestKind>(
  kind: K,
  columns: readonly MappedColumn<IngestField>[],
  source: RowToBuild,
  system: DateSystem,
): RowOutcome<RowOf<K>> {
  const candidate: Record<string, unknown> = { row: source.row };
  const problems: CellProblem[] = [];
  for (const { field, column, header } of columns) {
    const converted = CONVERTERS[field](source.cell(column), system);
    if (converted.ok) candidate[field] = converted.value;
    else problems.push({ column: header, reason: converted.reason });
  }
  const result = (VALIDATORS[kind] as Validate<RowOf<K>>)(candidate);
  if (result.success && problems.length === 0) return { ok: true, row: result.output };
  // A rejected row: only now is it worth indexing the headers and the problems.
  const headerOf = new Map(columns.map(({ field, header }) => [field as string, header]));
  const failedColumns = new Set(problems.map((problem) => problem.column));
  for (const { field, reason } of result.success ? [] : toFieldProblems(result.issues)) {
    const column = field === null ? null : (headerOf.get(field) ?? field);
    // A cell that could not be converted already has its problem; the schema would only add
    // "it is empty" for the placeholder.
    if (column === null || !failedColumns.has(column)) problems.push({ column, reason });
  }
  problems.sort((a, b) => columnOrder(columns, a.column) - columnOrder(columns, b.column));
  return { ok: false, problems };
}

function columnOrder(columns: readonly MappedColumn<IngestField>[], header: string | null): number {
  const mapped = columns.find((column) => column.header === header);
  return mapped ? mapped.column : Number.MAX_SAFE_INTEGER;
}
