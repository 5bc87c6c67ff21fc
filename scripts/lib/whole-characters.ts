import { boundedText, replacePartParser } from "./bounded-part";

/**
 * The most of the shared-string table, uncompressed, read before the workbook is refused. exceljs
 * keeps the whole table in memory (measured at the bound: about 2.2 bytes of the script's memory
 * a byte of it for 40-character texts, 1.6 for 1-character ones, so the script peaks at 530–690
 * MB), and deflate shrinks repeated text a thousandfold: a 5.6 MB file held 1.2 GB. The lender's 300
 * customers take 13 KB; a sheet's most rows (1,048,576), each with two 40-character texts of its
 * own, about 120–165 MB.
 */
const MAX_SHARED_STRINGS_BYTES = 256 * 1024 * 1024;

/**
 * Makes `reader` decode the shared-string table as whole characters, and refuse `file` with a
 * WorkbookError once the table's uncompressed bytes pass `maxBytes`. exceljs decodes each
 * decompressed piece of it on its own, so a character split between two pieces became U+FFFD
 * (a name "नमस्ते" landed as "नम��्ते") with nothing rejected. Worksheets need no such care: their
 * XML goes through IsoDateCells, which decodes across pieces.
 */
export function decodeSharedStringsWhole(
  reader: object,
  file: string,
  maxBytes = MAX_SHARED_STRINGS_BYTES,
): void {
  const bound = { file, part: "shared strings (xl/sharedStrings.xml)", maxBytes };
  replacePartParser(
    reader,
    "_parseSharedStrings",
    (parse) =>
      function (this: unknown, entry) {
        return parse.call(this, boundedText(entry, bound));
      },
  );
}
