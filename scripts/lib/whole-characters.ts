import { pipeline, type Readable, Transform } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { WorkbookError } from "./workbook-error";

/** The private method of exceljs's streaming reader that reads `xl/sharedStrings.xml`. */
interface SharedStringsParser {
  _parseSharedStrings?: (entry: Readable) => AsyncGenerator<unknown>;
}

/**
 * The most of the shared-string table, uncompressed, read before the workbook is refused. exceljs
 * keeps the whole table in memory (about 1.5 bytes of the script's memory a byte of it), and
 * deflate shrinks repeated text a thousandfold: a 5.6 MB file held 1.2 GB. The lender's 300
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
  const parser = reader as SharedStringsParser;
  const parse = parser._parseSharedStrings;
  if (typeof parse !== "function") return;
  const tooLarge = () =>
    new WorkbookError(
      file,
      `its shared strings (xl/sharedStrings.xml) run past ${maxBytes.toLocaleString("en")} bytes uncompressed, more than a workbook of customers or loans holds; it is not read`,
    );
  parser._parseSharedStrings = function (this: unknown, entry: Readable) {
    return parse.call(this, wholeCharacters(entry, maxBytes, tooLarge));
  };
}

/**
 * `bytes` as UTF-8 text, each piece ending on a character boundary; an error is passed on, and
 * `tooLarge()` is the error once more than `maxBytes` have come.
 */
function wholeCharacters(bytes: Readable, maxBytes: number, tooLarge: () => Error): Readable {
  const decoder = new StringDecoder("utf8");
  let seen = 0;
  const text = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) {
        done(tooLarge());
        return;
      }
      const decoded = decoder.write(chunk);
      done(null, decoded === "" ? undefined : decoded);
    },
    flush(done) {
      const rest = decoder.end();
      done(null, rest === "" ? undefined : rest);
    },
  });
  return pipeline(bytes, text, () => {});
}
