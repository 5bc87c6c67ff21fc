/*
 * The script reads a workbook's styles part whole for its percentage formats (percent-cells.ts),
 * and deflate shrinks repeated text a thousandfold: a 480 KB workbook whose styles part held a
 * 450 MB comment took the script past 1 GB of memory, and one of 1.2 GB failed only when the
 * text outgrew a string ("Invalid string length"). The part is read up to a bound, and past it the
 * file is refused as a whole, before any row.
 */
import { describe, expect, it } from "vitest";
import { readPercentStyles } from "../../scripts/lib/percent-cells";
import { readRows, WorkbookError } from "../../scripts/lib/read-workbook";
import { CUSTOMER_HEADERS, customerValues, scratchFiles } from "../node/ingest-fixtures";
import { type ProducerCell, writeProducerXlsx } from "../node/producer-xlsx";

const pathOf = scratchFiles();

/** 64 MiB, `MAX_STYLES_BYTES` in scripts/lib/percent-cells.ts. */
const BOUND = 64 * 1024 * 1024;

const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/** A styles part with a percentage style (1) and a comment making it `size` bytes in all. */
function stylesOfSize(size: number): string {
  const start = `<?xml version="1.0" encoding="UTF-8"?>\n<styleSheet xmlns="${MAIN}"><!--`;
  const end = `--><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="10" applyNumberFormat="1"/></cellXfs></styleSheet>`;
  return start + "x".repeat(size - start.length - end.length) + end;
}

async function customersWithStyles(name: string, styles: string): Promise<string> {
  return writeProducerXlsx(pathOf(name), {
    styles,
    sheets: [
      {
        name: "Sheet1",
        rows: [CUSTOMER_HEADERS, ...[1, 2, 3].map((id) => customerValues(id) as ProducerCell[])],
      },
    ],
  });
}

/** The rows yielded before the read ended, and the error it ended with, if any. */
async function readThrough(path: string): Promise<{ rows: number; error: unknown }> {
  let rows = 0;
  try {
    for await (const _ of readRows(path, "customers")) rows++;
    return { rows, error: undefined };
  } catch (error) {
    return { rows, error };
  }
}

describe("the styles part's size", () => {
  it("is read whole up to the bound", async () => {
    const path = await customersWithStyles("styles-at-bound.xlsx", stylesOfSize(BOUND));
    expect(await readThrough(path)).toEqual({ rows: 3, error: undefined });
  });

  it("refuses the workbook past the bound, naming the file and the part, before any row", async () => {
    const path = await customersWithStyles("styles-past-bound.xlsx", stylesOfSize(BOUND + 1));
    const { rows, error } = await readThrough(path);
    expect(rows).toBe(0);
    expect(error).toBeInstanceOf(WorkbookError);
    expect((error as Error).message).toMatch(
      /styles-past-bound\.xlsx: its styles \(xl\/styles\.xml\) run past 67,108,864 bytes uncompressed/,
    );
  });
});

describe("exceljs's styles parser", () => {
  it("fails loudly, naming the method, when the reader has none to replace", () => {
    // An exceljs upgrade that renamed it would drop both the bound and the percentage check.
    expect(() => readPercentStyles({}, "customers.xlsx")).toThrow(/_parseStyles/);
  });
});
