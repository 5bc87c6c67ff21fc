import { pipeline, type Readable, Transform } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** The private method of exceljs's streaming reader that reads `xl/sharedStrings.xml`. */
interface SharedStringsParser {
  _parseSharedStrings?: (entry: Readable) => AsyncGenerator<unknown>;
}

/**
 * Makes `reader` decode the shared-string table as whole characters. exceljs decodes each
 * decompressed piece of it on its own, so a character split between two pieces became U+FFFD
 * (a name "नमस्ते" landed as "नम��्ते") with nothing rejected. Worksheets need no such care: their
 * XML goes through IsoDateCells, which decodes across pieces.
 */
export function decodeSharedStringsWhole(reader: object): void {
  const parser = reader as SharedStringsParser;
  const parse = parser._parseSharedStrings;
  if (typeof parse !== "function") return;
  parser._parseSharedStrings = function (this: unknown, entry: Readable) {
    return parse.call(this, wholeCharacters(entry));
  };
}

/** `bytes` as UTF-8 text, each piece ending on a character boundary; an error is passed on. */
function wholeCharacters(bytes: Readable): Readable {
  const decoder = new StringDecoder("utf8");
  const text = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
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
