/*
 * exceljs keeps a workbook's whole shared-string table in memory, and a deflated table shrinks a
 * thousandfold: a 5.6 MB workbook held 1.2 GB of it and took `npm run ingest` to 1.8 GB. The
 * table is read up to a bound, and past it the file is refused as a whole.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { STREAMING_OPTIONS } from "../../scripts/lib/streamed-workbook";
import { decodeSharedStringsWhole } from "../../scripts/lib/whole-characters";
import { WorkbookError } from "../../scripts/lib/workbook-error";
import { assertXlsxContainer } from "../../scripts/lib/xlsx-container";
import { CUSTOMER_HEADERS, customerValues, scratchFiles } from "../node/ingest-fixtures";
import { type ProducerCell, writeProducerXlsx } from "../node/producer-xlsx";

const pathOf = scratchFiles();

/** A stand-in for exceljs's reader: its shared-string parser reads the text it is handed. */
function readerReadingText() {
  const text: string[] = [];
  const reader = {
    async *_parseSharedStrings(entry: Readable): AsyncGenerator<unknown> {
      for await (const piece of entry) {
        text.push(String(piece));
        yield piece;
      }
    },
  };
  return { reader, text };
}

async function parse(reader: object, bytes: Buffer[]): Promise<void> {
  const parser = reader as { _parseSharedStrings(entry: Readable): AsyncGenerator<unknown> };
  for await (const _ of parser._parseSharedStrings(Readable.from(bytes))) {
    // Read through, as exceljs reads the table before the first worksheet.
  }
}

const pieces = (count: number, size: number) =>
  Array.from({ length: count }, () => Buffer.from("<si><t>A</t></si>".repeat(size / 17)));

describe("the shared-string table's size", () => {
  it("is read whole up to the bound", async () => {
    const { reader, text } = readerReadingText();
    decodeSharedStringsWhole(reader, "customers.xlsx", 17 * 100);
    await parse(reader, pieces(2, 17 * 50));
    expect(text.join("").length).toBe(17 * 100);
  });

  it("refuses the workbook, naming the part and the bound, once the table runs past it", async () => {
    const { reader, text } = readerReadingText();
    decodeSharedStringsWhole(reader, "customers.xlsx", 17 * 100);
    const error = await parse(reader, pieces(3, 17 * 50)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(WorkbookError);
    expect((error as Error).message).toMatch(
      /^customers\.xlsx: its shared strings \(xl\/sharedStrings\.xml\) run past /,
    );
    expect(text.join("").length).toBeLessThanOrEqual(17 * 100);
  });
});

describe("the bound through exceljs's own streaming reader", () => {
  // The bound replaces a private method of exceljs's reader: an upgrade that renames it must fail
  // here and at use, not leave the table unbounded without a word.
  it("refuses a real workbook whose table runs past a small bound", async () => {
    const rows = [1, 2, 3].map((id) => customerValues(id) as ProducerCell[]);
    const path = await writeProducerXlsx(pathOf("customers.xlsx"), {
      sheets: [{ name: "Sheet1", rows: [CUSTOMER_HEADERS, ...rows] }],
    });
    // In the order the script streams it, worksheets last (xlsx-container.ts): given the file as
    // stored, exceljs may lose the parts after a worksheet it copies aside, the table among them.
    const bytes = await readFile(path);
    const { order } = await assertXlsxContainer(path);
    const ordered = (order ?? []).map(({ start, end }) => bytes.subarray(start, end));
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(
      Readable.from([Buffer.concat(ordered)]),
      STREAMING_OPTIONS,
    );
    decodeSharedStringsWhole(reader, "customers.xlsx", 100);
    const error = await (async () => {
      for await (const _ of reader) {
        // Read through: the table comes before the worksheets' rows.
      }
    })().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(WorkbookError);
    expect((error as Error).message).toMatch(/^customers\.xlsx: its shared strings/);
  });

  it("fails loudly, naming the method, when the reader has no shared-string parser to bound", () => {
    expect(() => decodeSharedStringsWhole({}, "customers.xlsx")).toThrow(/_parseSharedStrings/);
  });
});
