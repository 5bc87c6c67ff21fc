/*
 * ISO date cells (`<c t="d"><v>2023-03-15</v></c>`), which openpyxl (iso_dates), SheetJS
 * (cellDates) and other libraries write but Excel never does: exceljs's reader parses their text
 * as a number, 2023, which reads as a serial for 1905-07-15. Before exceljs parses a worksheet's
 * XML, each such cell becomes a text cell (`t="str"`), so that its text arrives whole, and its
 * place is noted; the row's reader then reads the noted cells as dates (cells.ts `isoDateCell`).
 */
import { StringDecoder } from "node:string_decoder";

/** The start tag of a date cell, in any namespace prefix (`<col>` and `<cols>` do not match). */
const DATE_CELL_START_TAG = /<(?:[\w.-]+:)?c\s[^>]*?\st\s*=\s*(["'])d\1[^>]*>/g;
const DATE_TYPE = /(\st\s*=\s*)(["'])d\2/;
const CELL_REFERENCE = /\sr\s*=\s*["']([A-Za-z]+)(\d+)["']/;

/** The 1-based number of a column's letters: A → 1, Z → 26, AA → 27. */
export function columnNumber(letters: string): number {
  let column = 0;
  for (const letter of letters.toUpperCase()) column = column * 26 + letter.charCodeAt(0) - 64;
  return column;
}

/**
 * What was noted for row `row`, if anything; forgets it and every earlier row's. Rows are noted in
 * the order exceljs reads them, so the map's first entries are the earliest.
 */
export function takeNotedRow<T>(byRow: Map<number, T>, row: number): T | undefined {
  for (const [noted, value] of byRow) {
    if (noted > row) return undefined;
    byRow.delete(noted);
    if (noted === row) return value;
  }
  return undefined;
}

/**
 * Cells noted in a worksheet's XML on its way into exceljs: their columns by row, kept until the
 * row is read. A chunk's worth of rows at most, as exceljs yields a chunk's rows before it asks
 * for the next chunk.
 */
export class NotedCells {
  readonly #columnsByRow = new Map<number, number[]>();

  /** Notes the cell of a start tag by its reference (`r="E12"`); a cell without one is not noted. */
  note(startTag: string): void {
    const reference = CELL_REFERENCE.exec(startTag);
    if (reference?.[1] === undefined) return;
    const row = Number(reference[2]);
    const column = columnNumber(reference[1]);
    const columns = this.#columnsByRow.get(row);
    if (columns) columns.push(column);
    else this.#columnsByRow.set(row, [column]);
  }

  /** The columns of row `row`'s noted cells, if it has any; forgets them and any earlier row's. */
  takeRow(row: number): readonly number[] | undefined {
    return takeNotedRow(this.#columnsByRow, row);
  }
}

/** One worksheet's ISO date cells: rewrite its XML once, then take each row's as it is read. */
export class IsoDateCells {
  readonly #cells = new NotedCells();

  /** The worksheet's XML, as text, with its date cells turned into text cells. */
  async *rewrite(xml: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
    // One decoder for the whole part: a character split between chunks stays whole.
    const decoder = new StringDecoder("utf8");
    let pending = "";
    for await (const chunk of xml) {
      const text = pending + (typeof chunk === "string" ? chunk : decoder.write(chunk));
      // Up to the last complete tag: a start tag cut by the chunk's end is seen whole next time.
      const end = text.lastIndexOf(">") + 1;
      pending = text.slice(end);
      if (end > 0) yield this.#rewriteDateCells(text.slice(0, end));
    }
    const rest = pending + decoder.end();
    if (rest !== "") yield this.#rewriteDateCells(rest);
  }

  /** The columns of row `row`'s date cells, if it has any; forgets them and any earlier row's. */
  takeRow(row: number): readonly number[] | undefined {
    return this.#cells.takeRow(row);
  }

  #rewriteDateCells(xml: string): string {
    // Most chunks hold no date cell, and a plain search is far cheaper than the pattern.
    if (!xml.includes('"d"') && !xml.includes("'d'")) return xml;
    return xml.replace(DATE_CELL_START_TAG, (tag) => {
      this.#cells.note(tag);
      return tag.replace(DATE_TYPE, "$1$2str$2");
    });
  }
}
