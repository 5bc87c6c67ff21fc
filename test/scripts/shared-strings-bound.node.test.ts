/*
 * exceljs keeps a workbook's whole shared-string table in memory, and a deflated table shrinks a
 * thousandfold: a 5.6 MB workbook held 1.2 GB of it and took `npm run ingest` to 1.8 GB. The
 * table is read up to a bound, and past it the file is refused as a whole.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { decodeSharedStringsWhole } from "../../scripts/lib/whole-characters";
import { WorkbookError } from "../../scripts/lib/workbook-error";

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
