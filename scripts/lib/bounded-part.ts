/*
 * Parts of a workbook the script or exceljs holds whole in memory (the shared-string table, the
 * styles), read through a private method of exceljs's streaming reader replaced here. Deflate
 * shrinks repeated text a thousandfold, so what the zip's directory claims proves nothing: each
 * such part is counted as it inflates, and past its bound the whole file is refused.
 */
import { pipeline, type Readable, Transform } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { WorkbookError } from "./workbook-error";

/** exceljs's streaming reader's private methods that read one part each. */
export type PartParserName = "_parseSharedStrings" | "_parseStyles";
type PartParser = (this: unknown, entry: Readable) => unknown;

/** The bound of one part of one workbook, and how a refusal names them. */
export interface PartBound {
  /** The workbook as the caller named it. */
  file: string;
  /** What the part holds, and its name in the zip: `styles (xl/styles.xml)`. */
  part: string;
  maxBytes: number;
}

/**
 * Replaces `reader`'s parser `name` with `replace(the original)`. Throws when exceljs has no such
 * method (an upgrade renamed it): the part would otherwise be read unbounded without a word.
 */
export function replacePartParser(
  reader: object,
  name: PartParserName,
  replace: (original: PartParser) => PartParser,
): void {
  const parsers = reader as Partial<Record<PartParserName, unknown>>;
  const original = parsers[name];
  if (typeof original !== "function") {
    throw new ExceljsChanged(
      `exceljs's streaming reader has no ${name} method (was exceljs upgraded?): the script bounds a workbook's parts through it (scripts/lib/bounded-part.ts), so it reads no workbook without it`,
    );
  }
  parsers[name] = replace(original as PartParser);
}

/** exceljs no longer has what the script relies on: no workbook can be read, whichever. */
export class ExceljsChanged extends Error {
  override readonly name = "ExceljsChanged";
}

/**
 * `bytes` as UTF-8 text, each piece ending on a character boundary (a character split between two
 * inflated pieces would otherwise become U+FFFD); an error is passed on, and once more than
 * `bound.maxBytes` have come, a `WorkbookError` naming the file and the part.
 */
export function boundedText(bytes: Readable, bound: PartBound): Readable {
  const decoder = new StringDecoder("utf8");
  let seen = 0;
  const text = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > bound.maxBytes) {
        done(partTooLarge(bound));
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

function partTooLarge({ file, part, maxBytes }: PartBound): WorkbookError {
  return new WorkbookError(
    file,
    `its ${part} run past ${maxBytes.toLocaleString("en")} bytes uncompressed, more than a workbook of customers or loans holds; it is not read`,
  );
}
