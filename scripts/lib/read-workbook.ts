/*
 * Reads the lender's workbooks row by row with exceljs's streaming reader, so memory stays flat
 * however large the file: valid rows are yielded in file order as they are read (the caller can
 * chunk and send them meanwhile), rejected rows are collected, and anything that makes the whole
 * file unusable throws a `WorkbookError` — before the first row is yielded whenever it can be known
 * up front (missing file, not an xlsx, truncated, no header, missing column). Damage inside the
 * compressed data shows only when the reader reaches it, so a `WorkbookError` can also come after
 * rows were yielded: the caller must treat one at any point as failing the whole file.
 */
import { basename } from "node:path";
import ExcelJS from "exceljs";
import type { CustomerRow, IngestKind, LoanRow } from "../../src/ingest/rows";
import { ExceljsChanged } from "./bounded-part";
import { buildRow, type CellProblem, type RowOf } from "./build-row";
import { type DateSystem, isBlankCell, isoDateCell } from "./cells";
import { DuplicateCustomerIdMarker } from "./duplicate-customer-ids";
import { DuplicateLoanIdMarker, type RemappedLoan } from "./duplicate-loan-ids";
import { FormulaResults } from "./formula-results";
import { mapHeader, rowsUnderHeader } from "./header-row";
import type { IngestField, MappedColumn } from "./headers";
import { IsoDateCells } from "./iso-date-cells";
import { PercentCells, percentCell, readPercentStyles } from "./percent-cells";
import { RepeatedRow } from "./repeated-row";
import type { RowRejection, SheetNotRead } from "./rows-left-out";
import {
  describeSheet,
  discardTemporaryCopy,
  isAsyncIterable,
  READ_ATTEMPTS,
  rowValues,
  STREAMING_OPTIONS,
  type StreamedWorkbook,
  type StreamedWorksheet,
} from "./streamed-workbook";
import { WatchedInput } from "./watched-input";
import { decodeSharedStringsWhole } from "./whole-characters";
import { digestOf, WorkbookFile } from "./workbook-digest";
import { WorkbookError } from "./workbook-error";
import { assertXlsxContainer, openForReading } from "./xlsx-container";

export type { RowOf } from "./build-row";
export { WorkbookError } from "./workbook-error";

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
        if (error instanceof WorkbookError || error instanceof ExceljsChanged) throw error;
        if (attempt < READ_ATTEMPTS && this.#nothingRead()) continue;
        const detail = error instanceof Error ? error.message : String(error);
        throw new WorkbookError(this.path, `cannot be read as an xlsx workbook (${detail})`, {
          cause: error,
        });
      } finally {
        input.close();
        this.#duplicateCustomerIds = null;
      }
      this.#sha256 = await digestOf(this.path, bytes, this.options.sha256);
      return;
    }
  }

  /** No row has been counted, yielded or rejected: reading again from the start repeats nothing. */
  #nothingRead(): boolean {
    return this.rowsRead === 0 && this.blankRowsSkipped === 0 && this.rejectedCount === 0;
  }

  /** `date1904`: the workbook's date system as read from its zip, null when unknown there. */
  async *#readFirstWorksheet(input: WatchedInput, date1904: boolean | null): AsyncGenerator<R> {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(input.stream, STREAMING_OPTIONS);
    decodeSharedStringsWhole(reader, this.path);
    const percentStyles = readPercentStyles(reader, this.path);
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
        const rows = await rowsUnderHeader(this.kind, input.guard(worksheet));
        if (rows > 0) this.sheetsNotRead.push({ name: worksheet.name ?? "", rows });
        continue;
      }
      found = true;
      const system: DateSystem = {
        date1904: date1904 ?? workbook.properties?.model?.date1904 === true,
      };
      // exceljs reads `iterator` once it is iterated: the date cells are rewritten before then,
      // and the percentage cells and the formula results it would drop noted.
      const source = worksheet.iterator;
      const dateCells = new IsoDateCells();
      const percentCells = new PercentCells(percentStyles);
      const formulaResults = new FormulaResults();
      if (isAsyncIterable(source)) {
        worksheet.iterator = formulaResults.observe(
          percentCells.observe(dateCells.rewrite(source)),
        );
      }
      let readToTheEnd = false;
      try {
        yield* this.#readWorksheet(
          input.guard(worksheet),
          system,
          { dateCells, percentCells, formulaResults },
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
    {
      dateCells,
      percentCells,
      formulaResults,
    }: { dateCells: IsoDateCells; percentCells: PercentCells; formulaResults: FormulaResults },
    sheet: string,
  ): AsyncGenerator<R> {
    let columns: MappedColumn<IngestField>[] | undefined;
    for await (const row of worksheet) {
      const dateColumns = dateCells.takeRow(row.number);
      const percentColumns = percentCells.takeRow(row.number);
      const values = formulaResults.restore(row.number, rowValues(row));
      if (values.every(isBlankCell)) {
        if (columns) this.blankRowsSkipped++;
        continue;
      }
      if (!columns) {
        columns = mapHeader(this.path, this.kind, row, sheet);
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
            if (dateColumns?.includes(column)) return isoDateCell(value);
            return percentColumns?.includes(column) ? percentCell(value) : value;
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
