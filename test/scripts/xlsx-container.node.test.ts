/*
 * The order the reader streams a workbook's parts in: worksheets after the shared strings and the
 * sheet list, so exceljs parses each worksheet as it inflates instead of copying it to a
 * temporary file first (scripts/lib/xlsx-container.ts).
 */
import { readFile, rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readRows } from "../../scripts/lib/read-workbook";
import {
  assertXlsxContainer,
  type ByteRange,
  readingOrder,
} from "../../scripts/lib/xlsx-container";
import {
  CUSTOMER_HEADERS,
  customerValues,
  LOAN_HEADERS,
  loansStreamedAsStored,
  loanValues,
  REAL_CUSTOMERS,
  REAL_LOANS,
  scratchFiles,
  temporaryCopies,
  writeWorkbook,
} from "../node/ingest-fixtures";

const pathOf = scratchFiles();

const LOCAL_FILE_HEADER = 0x04034b50;

/** The part name in the local header at `at`. */
function partAt(bytes: Buffer, at: number): string {
  expect(bytes.readUInt32LE(at)).toBe(LOCAL_FILE_HEADER);
  const nameLength = bytes.readUInt16LE(at + 26);
  return bytes.toString("utf8", at + 30, at + 30 + nameLength);
}

describe("the order a workbook is streamed in", () => {
  it.each([
    ["the lender's loans", REAL_LOANS],
    ["the lender's customers", REAL_CUSTOMERS],
  ])("puts %s worksheet after every other part, each part whole", async (_name, path) => {
    const bytes = await readFile(path);
    const ranges = (await assertXlsxContainer(path)).order as ByteRange[];
    expect(ranges).not.toBeNull();
    // Every byte once: the ranges tile the file.
    const tiled = [...ranges].sort((a, b) => a.start - b.start);
    expect(tiled[0]?.start).toBe(0);
    for (const [index, range] of tiled.entries()) {
      expect(range.end).toBe(tiled[index + 1]?.start ?? bytes.length);
    }
    // Parts first (each range starts at a local header), worksheets last among them, then the
    // directory as it was.
    const parts = ranges.slice(0, -1).map((range) => partAt(bytes, range.start));
    const original = tiled.slice(0, -1).map((range) => partAt(bytes, range.start));
    expect(original.indexOf("xl/worksheets/sheet1.xml")).toBeLessThan(
      original.indexOf("xl/sharedStrings.xml"),
    );
    expect(parts.at(-1)).toBe("xl/worksheets/sheet1.xml");
    expect([...parts].sort()).toEqual([...original].sort());
    expect(ranges.at(-1)?.end).toBe(bytes.length);
  });

  it("reads a workbook stored worksheet-first without a temporary copy of the worksheet", async () => {
    const before = await temporaryCopies();
    let rows = 0;
    let duringRead: string[] = [];
    for await (const _loan of readRows(REAL_LOANS, "loans")) {
      if (++rows === 1) duringRead = await temporaryCopies();
    }
    expect(rows).toBe(782);
    // exceljs makes its copy before the first row when the sheet comes first in the stream.
    expect(duringRead.filter((name) => !before.includes(name))).toEqual([]);
  });

  it("reads the lender's workbooks without a warning from Node", async () => {
    // Ten parts each: a stream per part on one file handle left a listener each, and Node warned
    // of a leak (MaxListenersExceededWarning) on every ingest.
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      for (const [path, kind] of [
        [REAL_CUSTOMERS, "customers"],
        [REAL_LOANS, "loans"],
      ] as const) {
        let rows = 0;
        for await (const _row of readRows(path, kind)) rows++;
        expect(rows).toBe(kind === "loans" ? 782 : 300);
      }
      // Node emits its warnings on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it("leaves alone a file that needs no change, or whose parts it cannot place", () => {
    const size = 1_000;
    const part = (name: string, offset: number) => ({ name, offset });
    const sheet = "xl/worksheets/sheet1.xml";
    // Worksheets already last.
    expect(
      readingOrder(
        {
          parts: [part("xl/workbook.xml", 0), part("xl/sharedStrings.xml", 100), part(sheet, 200)],
          offset: 900,
        },
        size,
      ),
    ).toBeNull();
    // No worksheet at all (refused elsewhere), bytes before the first part, two parts at one place.
    expect(readingOrder({ parts: [part("xl/workbook.xml", 0)], offset: 900 }, size)).toBeNull();
    expect(
      readingOrder({ parts: [part(sheet, 10), part("xl/workbook.xml", 500)], offset: 900 }, size),
    ).toBeNull();
    expect(
      readingOrder({ parts: [part(sheet, 0), part("xl/workbook.xml", 0)], offset: 900 }, size),
    ).toBeNull();
    // Two worksheets before the sheet list: both move behind it, in their stored order.
    expect(
      readingOrder(
        {
          parts: [
            part("xl/worksheets/sheet2.xml", 300),
            part(sheet, 0),
            part("xl/workbook.xml", 600),
          ],
          offset: 900,
        },
        size,
      ),
    ).toEqual([
      { start: 600, end: 900 },
      { start: 0, end: 300 },
      { start: 300, end: 600 },
      { start: 900, end: 1_000 },
    ]);
  });

  it("reads an exceljs-written workbook (data descriptors, worksheet first) row for row", async () => {
    const ids = Array.from({ length: 3_000 }, (_, i) => i + 1);
    const path = await writeWorkbook(pathOf("written-by-exceljs.xlsx"), [
      { rows: [CUSTOMER_HEADERS, ...ids.map((id) => customerValues(id))] },
    ]);
    expect((await assertXlsxContainer(path)).order).not.toBeNull();
    const before = await temporaryCopies();
    const read: number[] = [];
    let duringRead: string[] = [];
    for await (const customer of readRows(path, "customers")) {
      if (read.push(customer.customer_id) === 1) duringRead = await temporaryCopies();
    }
    expect(read).toEqual(ids);
    expect(duringRead.filter((name) => !before.includes(name))).toEqual([]);
  });

  it("streams as stored a file whose directory points beside a part's header, and still reads it", async () => {
    // The worksheet's directory entry moved one byte on.
    const path = await loansStreamedAsStored(pathOf("directory-off-by-one.xlsx"));
    expect((await assertXlsxContainer(path)).order).toBeNull();
    let rows = 0;
    for await (const _loan of readRows(path, "loans")) rows++;
    expect(rows).toBe(782);
  });

  it("reads the file whole even when it is deleted during the read", async () => {
    // Large enough that the file is still being read when its first row arrives.
    const loans = Array.from({ length: 20_000 }, (_, i) => loanValues(1 + (i % 500), 10_000 + i));
    const path = await writeWorkbook(pathOf("deleted-while-read.xlsx"), [
      { rows: [LOAN_HEADERS, ...loans], dateColumns: [8, 9] },
    ]);
    expect((await assertXlsxContainer(path)).order).not.toBeNull();
    let rows = 0;
    for await (const _loan of readRows(path, "loans")) {
      if (++rows === 1) await rm(path);
    }
    expect(rows).toBe(20_000);
  }, 60_000);
});
