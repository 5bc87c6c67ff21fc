/*
 * Reads the lender's workbooks row by row with exceljs's streaming reader, so memory stays flat
 * however large the file: valid rows are yielded in file order as they are read (the caller can
 * chunk and send them meanwhile), rejected rows are collected, and anything that makes the whole
 * file unusable throws a `WorkbookError` — before the first row is yielded whenever it can be known
 * up front (missing file, not an xlsx, truncated, no header, missing column). Damage inside the
 * compressed data shows only when the reader reaches it, so a `WorkbookError` can also come after
 * rows were yielded: the caller must treat one at any point as failing the whole file.
 */
import { ReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { basename } from "node:path";
import ExcelJS from "exceljs";
import type { CustomerRow, IngestKind, LoanRow } from "../../src/ingest/rows";
import { buildRow, type CellProblem, type RowOf } from "./build-row";
import { type DateSystem, isBlankCell, isoDateCell, unwrapCell } from "./cells";
import { DuplicateCustomerIdMarker } from "./duplicate-customer-ids";
import { DuplicateLoanIdMarker, type RemappedLoan } from "./duplicate-loan-ids";
import { FormulaResults } from "./formula-results";
import { type HeaderCell, type IngestField, type MappedColumn, mapHeaders } from "./headers";
import { IsoDateCells } from "./iso-date-cells";
import { RepeatedRow } from "./repeated-row";
import { WatchedInput } from "./watched-input";
import { decodeSharedStringsWhole } from "./whole-characters";
import { type HashedRead, WorkbookFile } from "./workbook-digest";
import { WorkbookError } from "./workbook-error";
import { assertXlsxContainer, openForReading } from "./xlsx-container";

export type { RowOf } from "./build-row";
export { WorkbookError } from "./workbook-error";

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

export interface ReadOptions {
  /** Called for each rejected row as it is found, e.g. to print it. */
  onRejection?: (rejection: RowRejection) => void;
  /**
   * How many rejections `rejected` keeps (all are counted in `rejectedCount`), so a file of a
   * million bad rows cannot exhaust memory. Default 10,000.
   */
  maxStoredRejections?: number;
  /**
   * The workbook opened already (`--resend-dead` hashed it through this handle to find it the
   * report's): read through it, and left open. Without it the reader opens the file itself.
   */
  file?: WorkbookFile;
  /**
   * The SHA-256 the bytes must have: a read to the end whose bytes' digest is another (the file
   * was rewritten in place since it was hashed) fails with a `WorkbookError`.
   */
  sha256?: string;
}

const STREAMING_OPTIONS = {
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
const READ_ATTEMPTS = 3;

/** Parts of exceljs's streaming objects that exist at runtime but are missing from its typings. */
interface StreamedWorkbook {
  /** The sheet list in tab order; `state` is "hidden" or "veryHidden" for a hidden sheet. */
  model?: { sheets?: { name?: string; state?: string }[] };
  properties?: { model?: { date1904?: boolean } };
}
interface StreamedWorksheet extends AsyncIterable<ExcelJS.Row> {
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
async function discardTemporaryCopy(source: unknown): Promise<void> {
  if (!(source instanceof ReadStream) || typeof source.path !== "string") return;
  source.destroy();
  await rm(source.path, { force: true });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Buffer | string> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function rowValues(row: ExcelJS.Row): unknown[] {
  const values: unknown = row.values;
  return Array.isArray(values) ? values : Object.values(values ?? {});
}

function headerCells(row: ExcelJS.Row): HeaderCell[] {
  const cells: HeaderCell[] = [];
  rowValues(row).forEach((raw, column) => {
    const value = unwrapCell(raw);
    if (value === null || (typeof value === "object" && !(value instanceof Date))) return;
    cells.push({ column, text: String(value) });
  });
  return cells;
}

/**
 * The sheet read, as a message names it: the operator may be looking at another tab (a hidden or an
 * empty sheet before the data), and "missing every column" alone does not say which sheet lacks them.
 */
function describeSheet(sheet: { name?: string; state?: string } | undefined): string {
  const hidden = sheet?.state === "hidden" || sheet?.state === "veryHidden";
  const details = [
    ...(sheet?.name === undefined ? [] : [`"${sheet.name}"`]),
    ...(hidden ? ["hidden"] : []),
  ];
  return `the first worksheet${details.length > 0 ? ` (${details.join(", ")})` : ""}`;
}

/** The rows of the first worksheet of one workbook. Iterate it once. */
export class WorkbookRows<R extends CustomerRow | LoanRow> implements AsyncIterable<R> {
  /** The workbook's file name, as rejections report it. */
  readonly file: string;
  /** Non-blank data rows read so far, valid or not. */
  rowsRead = 0;
  blankRowsSkipped = 0;
  rejectedCount = 0;
  /**
   * Worksheets after the first with this kind's columns and rows under them: not ingested, and
   * said so, since the run would otherwise report every row landed.
   */
  readonly sheetsNotRead: SheetNotRead[] = [];
  readonly rejected: RowRejection[] = [];
  /** Each row field's header as this file writes it, once the header row is read. */
  readonly #headers = new Map<string, string>();
  readonly #duplicateLoanIds = new DuplicateLoanIdMarker();
  /** Set while a customers file is read, and dropped after: the loans' read is the run's peak. */
  #duplicateCustomerIds: DuplicateCustomerIdMarker | null = null;
  #started = false;
  #sha256: string | undefined;

  constructor(
    readonly path: string,
    readonly kind: IngestKind,
    private readonly options: ReadOptions = {},
  ) {
    this.file = basename(path);
  }

  /**
   * The header this file has for a row field (`loan_amount` → "Loan Amount", "loan amount", …),
   * so rows the server rejects by field can be named as the operator's workbook names them;
   * undefined before the header row is read, or for a name that is no field of this file.
   */
  headerOf(field: string): string | undefined {
    return this.#headers.get(field);
  }

  /**
   * The SHA-256 of the file's bytes, in hex, once it is read to the end: of the very bytes its
   * rows were read from, through one open handle (workbook-digest.ts); undefined until then, and
   * for a read that stopped before the end.
   */
  get sha256(): string | undefined {
    return this.#sha256;
  }

  /** Loan rows marked `remap: true` so far (docs/ingestion.md#loan-ids); always empty for customers. */
  get remapped(): readonly RemappedLoan[] {
    return this.#duplicateLoanIds.remapped;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<R> {
    if (this.#started) throw new Error(`${this.path} is already being read; read it once`);
    this.#started = true;
    const file = this.options.file ?? new WorkbookFile(this.path, await openForReading(this.path));
    try {
      yield* this.#read(file);
    } finally {
      if (this.options.file === undefined) await file.close();
    }
  }

  async *#read(file: WorkbookFile): AsyncGenerator<R> {
    const container = await assertXlsxContainer(this.path, file.handle);
    for (let attempt = 1; ; attempt++) {
      const bytes = file.read(container.order);
      const input = new WatchedInput(bytes.chunks());
      this.#duplicateCustomerIds =
        this.kind === "customers" ? new DuplicateCustomerIdMarker() : null;
      try {
        yield* this.#readFirstWorksheet(input, container.date1904);
      } catch (error) {
        if (error instanceof WorkbookError) throw error;
        if (attempt < READ_ATTEMPTS && this.#nothingRead()) continue;
        const detail = error instanceof Error ? error.message : String(error);
        throw new WorkbookError(this.path, `cannot be read as an xlsx workbook (${detail})`, {
          cause: error,
        });
      } finally {
        input.close();
        this.#duplicateCustomerIds = null;
      }
      this.#sha256 = await this.#digestOf(bytes);
      return;
    }
  }

  /** The digest of a read to the end, checked against the one it must have when given. */
  async #digestOf(bytes: HashedRead): Promise<string> {
    let digest: string;
    try {
      digest = await bytes.sha256();
    } catch (error) {
      const detail = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new WorkbookError(this.path, `cannot be read (${detail})`, { cause: error });
    }
    if (this.options.sha256 !== undefined && digest !== this.options.sha256) {
      throw new WorkbookError(
        this.path,
        "changed while it was read: its SHA-256 is no longer the one found before anything was sent; run the whole workbooks again",
      );
    }
    return digest;
  }

  /** No row has been counted, yielded or rejected: reading again from the start repeats nothing. */
  #nothingRead(): boolean {
    return this.rowsRead === 0 && this.blankRowsSkipped === 0 && this.rejectedCount === 0;
  }

  /** `date1904`: the workbook's date system as read from its zip, null when unknown there. */
  async *#readFirstWorksheet(input: WatchedInput, date1904: boolean | null): AsyncGenerator<R> {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(input.stream, STREAMING_OPTIONS);
    decodeSharedStringsWhole(reader);
    const workbook = reader as unknown as StreamedWorkbook;
    let found = false;
    for await (const streamed of input.guard(reader)) {
      const worksheet = streamed as unknown as StreamedWorksheet;
      const firstSheet = workbook.model?.sheets?.[0];
      const firstName = firstSheet?.name;
      const isFirst = firstName === undefined || worksheet.name === firstName;
      if (found || !isFirst) {
        // Other sheets are read through and dropped: stopping early would leave exceljs's
        // temporary copy of the sheet behind until the process exits.
        const rows = await this.#rowsUnderHeader(input.guard(worksheet));
        if (rows > 0) this.sheetsNotRead.push({ name: worksheet.name ?? "", rows });
        continue;
      }
      found = true;
      const system: DateSystem = {
        date1904: date1904 ?? workbook.properties?.model?.date1904 === true,
      };
      // exceljs reads `iterator` once it is iterated: the date cells are rewritten before then,
      // and the formula results it would drop noted.
      const source = worksheet.iterator;
      const dateCells = new IsoDateCells();
      const formulaResults = new FormulaResults();
      if (isAsyncIterable(source)) {
        worksheet.iterator = formulaResults.observe(dateCells.rewrite(source));
      }
      let readToTheEnd = false;
      try {
        yield* this.#readWorksheet(
          input.guard(worksheet),
          system,
          { dateCells, formulaResults },
          describeSheet(firstSheet),
        );
        readToTheEnd = true;
      } finally {
        if (!readToTheEnd) await discardTemporaryCopy(source);
      }
    }
    if (!found) throw new WorkbookError(this.path, "contains no worksheet");
  }

  /** `sheet`: how messages name the worksheet (`describeSheet`). */
  async *#readWorksheet(
    worksheet: AsyncIterable<ExcelJS.Row>,
    system: DateSystem,
    { dateCells, formulaResults }: { dateCells: IsoDateCells; formulaResults: FormulaResults },
    sheet: string,
  ): AsyncGenerator<R> {
    let columns: MappedColumn<IngestField>[] | undefined;
    for await (const row of worksheet) {
      const dateColumns = dateCells.takeRow(row.number);
      const values = formulaResults.restore(row.number, rowValues(row));
      if (values.every(isBlankCell)) {
        if (columns) this.blankRowsSkipped++;
        continue;
      }
      if (!columns) {
        columns = this.#mapHeader(row, sheet);
        for (const { field, header } of columns) this.#headers.set(field, header);
        continue;
      }
      this.rowsRead++;
      const outcome = buildRow(
        this.kind,
        columns,
        {
          row: row.number,
          cell: (column) => {
            const value = values[column] ?? null;
            return dateColumns?.includes(column) ? isoDateCell(value) : value;
          },
        },
        system,
      );
      if (!outcome.ok) this.#reject(row.number, outcome.problems);
      else {
        const finished = this.#finish(outcome.row as R, columns);
        if (finished) yield finished;
      }
    }
    if (!columns) {
      throw new WorkbookError(
        this.path,
        `${sheet} is empty (no header row): only the first worksheet is read, so delete the empty sheet or move the data into it`,
      );
    }
  }

  /** Non-blank rows under a header with this kind's columns; 0 for a sheet without one. */
  async #rowsUnderHeader(worksheet: AsyncIterable<ExcelJS.Row>): Promise<number> {
    let hasColumns: boolean | null = null;
    let rows = 0;
    for await (const row of worksheet) {
      if (rowValues(row).every(isBlankCell)) continue;
      if (hasColumns === null) hasColumns = mapHeaders(this.kind, headerCells(row)).ok;
      else if (hasColumns) rows++;
    }
    return rows;
  }

  #mapHeader(row: ExcelJS.Row, sheet: string): MappedColumn<IngestField>[] {
    const mapping = mapHeaders(this.kind, headerCells(row));
    if (!mapping.ok) {
      throw new WorkbookError(this.path, `${sheet}, header row ${row.number}: ${mapping.problem}`);
    }
    return mapping.columns;
  }

  /**
   * Marks a repeated Loan ID; null when the row is rejected for repeating an earlier loan or
   * customer (docs/ingestion.md#loan-ids, #customer-ids), on the column of the repeated key.
   */
  #finish(row: R, columns: readonly MappedColumn<IngestField>[]): R | null {
    const marked =
      this.kind === "loans"
        ? this.#duplicateLoanIds.mark(row as LoanRow)
        : (this.#duplicateCustomerIds?.mark(row as CustomerRow) ?? row);
    if (!(marked instanceof RepeatedRow)) return marked as R;
    const keyColumn = columns.find((column) => column.field === marked.field);
    this.#reject(marked.row, [{ column: keyColumn?.header ?? null, reason: marked.reason }]);
    return null;
  }

  /**
   * Rejects a row that was read valid but is not to be sent (its customer row was refused as
   * another person's), on the column this file has for `field`, counted and reported like the
   * rows this reader rejects itself.
   */
  rejectRow(row: number, field: string, reason: string): void {
    this.#reject(row, [{ column: this.headerOf(field) ?? field, reason }]);
  }

  #reject(row: number, problems: CellProblem[]): void {
    const [first] = problems;
    const rejection: RowRejection = {
      file: this.file,
      row,
      column: first?.column ?? null,
      reason: first?.reason ?? "invalid row",
      problems,
    };
    this.rejectedCount++;
    if (this.rejected.length < (this.options.maxStoredRejections ?? 10_000)) {
      this.rejected.push(rejection);
    }
    this.options.onRejection?.(rejection);
  }
}

/** Streams the valid rows of a workbook's first worksheet; see `WorkbookRows`. */
export function readRows(
  path: string,
  kind: "customers",
  options?: ReadOptions,
): WorkbookRows<CustomerRow>;
export function readRows(path: string, kind: "loans", options?: ReadOptions): WorkbookRows<LoanRow>;
export function readRows<K extends IngestKind>(
  path: string,
  kind: K,
  options?: ReadOptions,
): WorkbookRows<RowOf<K>>;
export function readRows(
  path: string,
  kind: IngestKind,
  options: ReadOptions = {},
): WorkbookRows<CustomerRow | LoanRow> {
  return new WorkbookRows(path, kind, options);
}

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
