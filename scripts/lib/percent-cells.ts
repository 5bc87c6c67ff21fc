/*
 * Number cells formatted as a percentage. A rate typed "8.2%" in Excel is stored as 0.082 under a
 * percentage format and shown as 8.20%; read as the number it holds, the loan landed at 0.08 %
 * (rounded to two decimals) with nothing rejected. exceljs's reader ignores styles here (with them
 * it would also turn date-formatted numbers into Dates by its own calendar: cells.ts), so the
 * styles part is read on its own for the cell styles whose format multiplies by 100, and the
 * worksheet's XML is watched on its way into exceljs for number cells of those styles. The row's
 * reader rejects such a cell, naming what Excel shows (`percentCell`).
 */
import { boundedText, replacePartParser } from "./bounded-part";
import { type CellValue, unwrapCell } from "./cells";
import { NotedCells } from "./iso-date-cells";

/** Excel's built-in percentage formats: `0%` (9) and `0.00%` (10). */
const BUILT_IN_PERCENT_FORMATS = [9, 10];

const NUMBER_FORMAT_TAG = /<(?:[\w.-]+:)?numFmt\s[^>]*>/g;
const CELL_FORMATS = /<(?:[\w.-]+:)?cellXfs\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?cellXfs>/;
const CELL_FORMAT_TAG = /<(?:[\w.-]+:)?xf\b[^>]*>/g;
/** A cell's start tag with content (a value or a formula); `<col>` and `<cols>` do not match. */
const CELL_START_TAG = /<(?:[\w.-]+:)?c\s[^>]*[^/]>/g;
const CELL_STYLE = /\ss\s*=\s*["'](\d+)["']/;
const CELL_TYPE = /\st\s*=\s*["']([^"']*)["']/;

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}\\s*=\\s*(["'])(.*?)\\1`).exec(tag)?.[2];
}

function decodeXml(text: string): string {
  return text.replace(/&(quot|apos|lt|gt|amp|#x[0-9a-fA-F]+|#\d+);/g, (_whole, name: string) => {
    if (name.startsWith("#x")) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(Number(name.slice(1)));
    return { quot: '"', apos: "'", lt: "<", gt: ">", amp: "&" }[name] ?? "";
  });
}

/**
 * The format shows its number times 100: a `%` that is not literal text (`"%"`, `\%`), a
 * bracketed colour or condition, or the character after `_` or `*`.
 */
function scalesByHundred(formatCode: string): boolean {
  return formatCode.replace(/"[^"]*"|\\.|\[[^\]]*\]|[_*]./g, "").includes("%");
}

/** The indexes of the cell styles (`cellXfs`) of a styles part whose format is a percentage. */
function percentStyles(stylesXml: string): ReadonlySet<number> {
  const percentFormats = new Set(BUILT_IN_PERCENT_FORMATS);
  for (const [tag] of stylesXml.matchAll(NUMBER_FORMAT_TAG)) {
    const id = Number(attribute(tag, "numFmtId"));
    const code = attribute(tag, "formatCode");
    if (code === undefined || !Number.isInteger(id)) continue;
    if (scalesByHundred(decodeXml(code))) percentFormats.add(id);
    else percentFormats.delete(id);
  }
  const styles = new Set<number>();
  const cellFormats = CELL_FORMATS.exec(stylesXml)?.[1] ?? "";
  let index = 0;
  for (const [tag] of cellFormats.matchAll(CELL_FORMAT_TAG)) {
    if (percentFormats.has(Number(attribute(tag, "numFmtId") ?? 0))) styles.add(index);
    index++;
  }
  return styles;
}

/**
 * The most of the styles part, uncompressed, read before the workbook is refused: it is held whole
 * here. Excel's most cell formats (65,490), each with its own named style, take about 37 MiB; the
 * lender's workbooks, 2 KB.
 */
const MAX_STYLES_BYTES = 64 * 1024 * 1024;

/**
 * Makes `reader` read its workbook's styles part for the percentage styles (exceljs, ignoring
 * styles, only skips it), refusing `file` with a WorkbookError once the part's uncompressed bytes
 * pass `maxBytes`; returns what was found, empty until that part is read. Worksheets are
 * streamed after it (xlsx-container.ts), or parsed from their copy after the whole zip.
 */
export function readPercentStyles(
  reader: object,
  file: string,
  maxBytes = MAX_STYLES_BYTES,
): () => ReadonlySet<number> {
  let styles: ReadonlySet<number> = new Set();
  const bound = { file, part: "styles (xl/styles.xml)", maxBytes };
  replacePartParser(reader, "_parseStyles", () => async (entry) => {
    let xml = "";
    for await (const text of boundedText(entry, bound)) xml += text;
    styles = percentStyles(xml);
  });
  return () => styles;
}

/** One worksheet's number cells of a percentage style: note them once, take each row's as read. */
export class PercentCells {
  readonly #cells = new NotedCells();

  constructor(private readonly styles: () => ReadonlySet<number>) {}

  /**
   * The worksheet's XML as it was, noting its percentage-styled number cells on the way. Each
   * chunk must end at a tag's end (IsoDateCells.rewrite's do), so no start tag is cut in two.
   */
  async *observe(xml: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const chunk of xml) {
      const styles = this.styles();
      // Most workbooks have no percentage style: nothing to look for.
      if (styles.size > 0) this.#note(chunk, styles);
      yield chunk;
    }
  }

  /** The columns of row `row`'s percentage cells, if any; forgets them and any earlier row's. */
  takeRow(row: number): readonly number[] | undefined {
    return this.#cells.takeRow(row);
  }

  #note(xml: string, styles: ReadonlySet<number>): void {
    for (const [tag] of xml.matchAll(CELL_START_TAG)) {
      const style = CELL_STYLE.exec(tag)?.[1];
      if (style === undefined || !styles.has(Number(style))) continue;
      // Text (`s`, `str`, `inlineStr`) shows as written; errors and booleans are no numbers.
      if ((CELL_TYPE.exec(tag)?.[1] ?? "n") === "n") this.#cells.note(tag);
    }
  }
}

/**
 * A percentage-styled cell's value: a number other than 0 (or a formula's) is a problem naming
 * what Excel shows, since the number it holds is a hundredth of it; anything else as it is.
 */
export function percentCell(raw: unknown): CellValue {
  const value = unwrapCell(raw);
  if (typeof value !== "number" || value === 0) return value;
  const shown = Number((value * 100).toPrecision(15));
  return {
    problem: `the cell is formatted as a percentage: Excel shows ${shown}% for the ${value} it holds; type the number as it is meant (${shown}) in a cell not formatted as a percentage`,
  };
}
