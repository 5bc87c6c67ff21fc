/*
 * Maps a worksheet's header row to row fields. Matching is by name, ignoring case, whitespace and
 * underscores, so "Customer ID", " customer  id " and "customer_id" all find `customer_id`.
 * Columns we do not know are ignored; a required column that is missing fails the whole file.
 */
import { type IngestKind, LENDER_HEADERS as LENDER_HEADER_OF_FIELD } from "../../src/ingest/rows";

export const CUSTOMER_FIELDS = [
  "customer_id",
  "first_name",
  "last_name",
  "age",
  "phone_number",
  "monthly_salary",
  "approved_limit",
] as const;

export const LOAN_FIELDS = [
  "customer_id",
  "loan_id",
  "loan_amount",
  "tenure",
  "interest_rate",
  "monthly_payment",
  "emis_paid_on_time",
  "start_date",
  "end_date",
] as const;

type CustomerField = (typeof CUSTOMER_FIELDS)[number];
type LoanField = (typeof LOAN_FIELDS)[number];
export type IngestField = CustomerField | LoanField;
type FieldOf<K extends IngestKind> = K extends "customers" ? CustomerField : LoanField;

/**
 * The lender's headers, used to name a missing column the way the file would. Typed over every
 * field here, so a field the shared table lacks fails the typecheck.
 */
const LENDER_HEADERS: Record<IngestField, string> = LENDER_HEADER_OF_FIELD;

/** The lender's header row for a kind, in the lender's column order (used to write workbooks). */
export function lenderHeaders(kind: IngestKind): string[] {
  return fieldsOf(kind).map((field) => LENDER_HEADERS[field]);
}

/** Names accepted besides the field name itself and the lender's header. */
const EXTRA_ALIASES: Partial<Record<IngestField, readonly string[]>> = {
  start_date: ["date_of_approval"],
  // The API calls the salary `monthly_income`; a workbook exported from it should still load.
  monthly_salary: ["monthly_income"],
};

/** The comparison key of a header: lower case, without whitespace or underscores. */
export function headerKey(text: string): string {
  return text.toLowerCase().replace(/[\s_]+/g, "");
}

function fieldsOf<K extends IngestKind>(kind: K): readonly FieldOf<K>[] {
  return (kind === "customers" ? CUSTOMER_FIELDS : LOAN_FIELDS) as readonly FieldOf<K>[];
}

function aliasKeys(field: IngestField): string[] {
  const names = [field, LENDER_HEADERS[field], ...(EXTRA_ALIASES[field] ?? [])];
  return names.map(headerKey);
}

export interface HeaderCell {
  /** 1-based column number. */
  column: number;
  text: string;
}

export interface MappedColumn<F extends string> {
  field: F;
  column: number;
  /** The header as written in the file, for messages about this column. */
  header: string;
}

export type HeaderMapping<K extends IngestKind> =
  | { ok: true; columns: MappedColumn<FieldOf<K>>[] }
  | { ok: false; problem: string };

/**
 * Finds each required field's column. Fails naming every missing (or ambiguous) column, and the
 * other kind when the row is that workbook's header (the files swapped, or one file for both).
 */
export function mapHeaders<K extends IngestKind>(
  kind: K,
  cells: readonly HeaderCell[],
): HeaderMapping<K> {
  const mapping = matchHeaders(kind, cells);
  const other = kind === "customers" ? "loans" : "customers";
  if (mapping.ok || !matchHeaders(other, cells).ok) return mapping;
  return {
    ok: false,
    problem: `${mapping.problem}; these are the ${other} workbook's columns: was the ${other} file given for --${kind}?`,
  };
}

function matchHeaders<K extends IngestKind>(
  kind: K,
  cells: readonly HeaderCell[],
): HeaderMapping<K> {
  const columns: MappedColumn<FieldOf<K>>[] = [];
  const missing: string[] = [];
  const ambiguous: string[] = [];
  for (const field of fieldsOf(kind)) {
    const keys = aliasKeys(field);
    const matches = cells.filter((cell) => keys.includes(headerKey(cell.text)));
    const [first, ...others] = matches;
    if (!first) missing.push(`"${LENDER_HEADERS[field]}" (${field})`);
    else if (others.length > 0) {
      ambiguous.push(`${matches.map((cell) => `"${cell.text}"`).join(" and ")} both mean ${field}`);
    } else columns.push({ field, column: first.column, header: first.text.trim() });
  }
  const problems: string[] = [];
  if (missing.length > 0) {
    const noun = missing.length === 1 ? "column" : "columns";
    problems.push(`missing required ${noun} ${missing.join(", ")}`);
  }
  if (ambiguous.length > 0) problems.push(`ambiguous columns: ${ambiguous.join("; ")}`);
  return problems.length > 0 ? { ok: false, problem: problems.join("; ") } : { ok: true, columns };
}
