/*
 * Formula cells whose saved result is 0, empty text or FALSE. exceljs keeps a formula's result
 * only when it is truthy, so `<c><f>C2*0</f><v>0</v></c>` reached the row's reader as a formula
 * without a result, and the row was rejected ("formula has no calculated result saved in the
 * file"); a formula copied down past the data (`=IF(C900="","",…)`, saved by Excel as
 * `<c t="str"><f>…</f><v></v></c>`) made every empty row below the data a rejected row. This pass
 * reads the worksheet's XML on its way into exceljs, unchanged, and notes those results by row
 * and column; the row's reader puts them back (`restore`).
 */
import { columnNumber, takeNotedRow } from "./iso-date-cells";

/**
 * A cell with a formula and a saved value, in any namespace prefix: the formula's text holds no
 * `<` (XML escapes it), and a shared formula's later cells carry an empty `<f …/>`.
 */
const FORMULA_CELL =
  /<(?:[\w.-]+:)?c\s([^>]*?)>\s*(?:<(?:[\w.-]+:)?f\b[^>]*\/>|<(?:[\w.-]+:)?f\b[^>]*>[^<]*<\/(?:[\w.-]+:)?f>)\s*(?:<(?:[\w.-]+:)?v\s*\/>|<(?:[\w.-]+:)?v>([^<]*)<\/(?:[\w.-]+:)?v>)/g;
const CELL_TYPE = /(?:^|\s)t\s*=\s*["']([^"']*)["']/;
const CELL_REFERENCE = /(?:^|\s)r\s*=\s*["']([A-Za-z]+)(\d+)["']/;
/** Where a worksheet's XML may be cut without cutting a cell in two. */
const CELL_OR_ROW_END = /^<\/(?:[\w.-]+:)?(?:c|row)>$/;

type FalsyResult = 0 | "" | false;

/** One worksheet's formula results that exceljs drops: note them once, take each row's as read. */
export class FormulaResults {
  readonly #byRow = new Map<number, Map<number, FalsyResult>>();

  /** The worksheet's XML as it was, noting each formula's 0, empty text or FALSE on the way. */
  async *observe(xml: AsyncIterable<string>): AsyncGenerator<string> {
    let pending = "";
    for await (const chunk of xml) {
      const text = pending + chunk;
      // Up to the last complete cell or row: a cell cut by the chunk's end is seen whole next time.
      const end = lastEnd(text);
      pending = text.slice(end);
      if (end > 0) yield this.#note(text.slice(0, end));
    }
    if (pending !== "") yield this.#note(pending);
  }

  /** Row `row`'s cells with their dropped formula results put back; forgets earlier rows'. */
  restore(row: number, values: readonly unknown[]): readonly unknown[] {
    const results = takeNotedRow(this.#byRow, row);
    if (!results) return values;
    return values.map((value, column) => {
      const result = results.get(column);
      if (result === undefined || !isFormula(value)) return value;
      return { ...value, result };
    });
  }

  #note(xml: string): string {
    // Most chunks hold no formula, and a plain search is far cheaper than the pattern.
    if (!xml.includes("f>") && !xml.includes("<f ") && !xml.includes(":f ")) return xml;
    for (const [, attributes = "", saved] of xml.matchAll(FORMULA_CELL)) {
      const result = falsyResult(CELL_TYPE.exec(attributes)?.[1], saved ?? "");
      const reference = CELL_REFERENCE.exec(attributes);
      if (result === null || reference?.[1] === undefined) continue;
      const row = Number(reference[2]);
      const columns = this.#byRow.get(row) ?? new Map<number, FalsyResult>();
      columns.set(columnNumber(reference[1]), result);
      this.#byRow.set(row, columns);
    }
    return xml;
  }
}

/** The result exceljs would drop for a saved value of this cell type, or null when it keeps it. */
function falsyResult(type: string | undefined, saved: string): FalsyResult | null {
  if (type === "str") return saved === "" ? "" : null;
  if (type === "b") return saved.trim() === "0" ? false : null;
  // An error (`t="e"`) or an empty number is no result: the reader says so.
  if (type === "e" || saved.trim() === "") return null;
  return Number(saved) === 0 ? 0 : null;
}

function isFormula(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    ("formula" in value || "sharedFormula" in value) &&
    (value as { result?: unknown }).result === undefined
  );
}

/** Just past the last cell or row end tag in `text`, found from the end; 0 when there is none. */
function lastEnd(text: string): number {
  for (let close = text.lastIndexOf(">"); close >= 0; close = text.lastIndexOf(">", close - 1)) {
    const tag = text.slice(text.lastIndexOf("<", close), close + 1);
    if (CELL_OR_ROW_END.test(tag)) return close + 1;
  }
  return 0;
}
