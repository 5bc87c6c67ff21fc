/*
 * The rewriting of ISO date cells in a worksheet's XML before exceljs parses it
 * (scripts/lib/iso-date-cells.ts), chunk by chunk as the zip inflates it.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { IsoDateCells } from "../../scripts/lib/iso-date-cells";

async function rewritten(dateCells: IsoDateCells, chunks: (Buffer | string)[]): Promise<string> {
  let xml = "";
  // A stream of the chunks, as exceljs hands over a zip entry.
  for await (const text of dateCells.rewrite(Readable.from(chunks))) xml += text;
  return xml;
}

const ROWS =
  '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>' +
  '<row r="2"><c r="A2"><v>7</v></c><c r="H2" t="d"><v>2023-03-15</v></c>' +
  '<c r="AB2" t="d"><f>TODAY()</f><v>2025-03-15T00:00:00</v></c></row>' +
  '<row r="3"><c r="B3" t="inlineStr"><is><t>t="d" नमस्ते</t></is></c></row></sheetData>';
const EXPECTED = ROWS.replaceAll('t="d"><', 't="str"><');

describe("rewriting ISO date cells", () => {
  it("turns each date cell into a text cell and notes its row and column", async () => {
    const dateCells = new IsoDateCells();
    expect(await rewritten(dateCells, [ROWS])).toBe(EXPECTED);
    expect(dateCells.takeRow(1)).toBeUndefined();
    expect(dateCells.takeRow(2)).toEqual([8, 28]);
    expect(dateCells.takeRow(2)).toBeUndefined();
    expect(dateCells.takeRow(3)).toBeUndefined();
  });

  it("gives the same text and the same cells wherever the chunks are cut, inside a character too", async () => {
    const bytes = Buffer.from(ROWS, "utf8");
    for (let cut = 1; cut < bytes.length; cut++) {
      const dateCells = new IsoDateCells();
      const xml = await rewritten(dateCells, [bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(xml, `cut at byte ${cut}`).toBe(EXPECTED);
      expect(dateCells.takeRow(2), `cut at byte ${cut}`).toEqual([8, 28]);
    }
  });

  it("finds the type in any quoting, spacing, attribute order and namespace prefix", async () => {
    const dateCells = new IsoDateCells();
    const xml = await rewritten(dateCells, [
      "<x:row r='4'><x:c s=\"1\" t = 'd' r='C4'><x:v>2023-03-15</x:v></x:c>",
      '<x:c r="D4"\tt="d"/><x:c r="E4" t="n"><x:v>1</x:v></x:c><x:c r="F4" dt="d"/></x:row>',
    ]);
    expect(xml).toBe(
      "<x:row r='4'><x:c s=\"1\" t = 'str' r='C4'><x:v>2023-03-15</x:v></x:c>" +
        '<x:c r="D4"\tt="str"/><x:c r="E4" t="n"><x:v>1</x:v></x:c><x:c r="F4" dt="d"/></x:row>',
    );
    expect(dateCells.takeRow(4)).toEqual([3, 4]);
  });

  it("forgets the cells of a row that is never taken once a later row is", async () => {
    const dateCells = new IsoDateCells();
    await rewritten(dateCells, ['<c r="A5" t="d"/><c r="A6" t="d"/><c r="B7" t="d"/>']);
    expect(dateCells.takeRow(7)).toEqual([2]);
    expect(dateCells.takeRow(5)).toBeUndefined();
    expect(dateCells.takeRow(6)).toBeUndefined();
  });
});
