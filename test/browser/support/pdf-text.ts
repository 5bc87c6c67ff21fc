/*
 * The text of each page of a PDF that Chromium printed (page.pdf()), as lines from the top of the
 * page down: what a reader of the paper sees on each sheet. It reads only what Chromium's PDF
 * writer (Skia) puts there, objects in the open, Flate streams and fonts with a ToUnicode map,
 * and throws on anything else rather than guess; text inside form XObjects is not read.
 */
import { inflateSync } from "node:zlib";

interface PdfObject {
  dictionary: string;
  stream?: Buffer;
}

/** [a b c d e f], as PDF writes a transformation. */
type Matrix = [number, number, number, number, number, number];

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];

/** `first` then `second`: PDF's `first × second`. */
function times(first: Matrix, second: Matrix): Matrix {
  const [a, b, c, d, e, f] = first;
  const [A, B, C, D, E, F] = second;
  return [
    a * A + b * C,
    a * B + b * D,
    c * A + d * C,
    c * B + d * D,
    e * A + f * C + E,
    e * B + f * D + F,
  ];
}

/** Every `N 0 obj … endobj` of the file by number, a stream's bytes skipped by its /Length. */
function objectsOf(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString("latin1");
  const objects = new Map<number, PdfObject>();
  const header = /(\d+) 0 obj\b/g;
  for (let match = header.exec(text); match; match = header.exec(text)) {
    const start = match.index + match[0].length;
    const end = text.indexOf("endobj", start);
    const streamAt = text.slice(start, end).search(/stream\r?\n/);
    if (streamAt < 0) {
      objects.set(Number(match[1]), { dictionary: text.slice(start, end) });
      continue;
    }
    const dictionary = text.slice(start, start + streamAt);
    const length = /\/Length (\d+)(?! \d+ R)/.exec(dictionary);
    if (!length) throw new Error(`PDF object ${match[1]}: a stream without a direct /Length`);
    const dataAt = start + streamAt + (text[start + streamAt + 6] === "\r" ? 8 : 7);
    const data = pdf.subarray(dataAt, dataAt + Number(length[1]));
    if (!/\/Filter \/FlateDecode/.test(dictionary) || /\/DecodeParms/.test(dictionary)) {
      throw new Error(`PDF object ${match[1]}: a stream that is not plain FlateDecode`);
    }
    objects.set(Number(match[1]), { dictionary, stream: inflateSync(data) });
    header.lastIndex = dataAt + data.length;
  }
  return objects;
}

function object(objects: Map<number, PdfObject>, reference: string | undefined): PdfObject {
  const found = reference === undefined ? undefined : objects.get(Number(reference));
  if (!found) throw new Error(`PDF: no object ${reference}`);
  return found;
}

/** The references `N 0 R` in a piece of a dictionary, in order. */
const references = (text: string) => Array.from(text.matchAll(/(\d+) 0 R/g), (match) => match[1]);

/** The pages in reading order, walking the page tree from its root. */
function pagesOf(objects: Map<number, PdfObject>): PdfObject[] {
  const catalog = [...objects.values()].find((o) => /\/Type \/Catalog\b/.test(o.dictionary));
  const walk = (node: PdfObject): PdfObject[] => {
    if (/\/Type \/Page\b/.test(node.dictionary)) return [node];
    const kids = /\/Kids \[([^\]]*)\]/.exec(node.dictionary)?.[1] ?? "";
    return references(kids).flatMap((kid) => walk(object(objects, kid)));
  };
  return walk(object(objects, /\/Pages (\d+) 0 R/.exec(catalog?.dictionary ?? "")?.[1]));
}

/** A font's codes (two bytes for a Type0 font, else one) to text, from its ToUnicode map. */
function decoderOf(objects: Map<number, PdfObject>, font: PdfObject): (hex: string) => string {
  const cmap = object(objects, /\/ToUnicode (\d+) 0 R/.exec(font.dictionary)?.[1]).stream;
  if (!cmap) throw new Error("PDF: a font's ToUnicode is not a stream");
  const map = new Map<number, string>();
  const utf16 = (hex: string) =>
    String.fromCharCode(...(hex.match(/.{4}/g) ?? []).map((unit) => Number.parseInt(unit, 16)));
  const text = cmap.toString("latin1");
  for (const [, body] of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const [, code, unicode] of (body ?? "").matchAll(/<(\w+)>\s*<(\w+)>/g)) {
      map.set(Number.parseInt(code ?? "", 16), utf16(unicode ?? ""));
    }
  }
  for (const [, body] of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const [, low, high, target] of (body ?? "").matchAll(
      /<(\w+)>\s*<(\w+)>\s*(<\w+>|\[[^\]]*\])/g,
    )) {
      const from = Number.parseInt(low ?? "", 16);
      const targets = (target ?? "").match(/<(\w+)>/g)?.map((t) => t.slice(1, -1)) ?? [];
      for (let code = from; code <= Number.parseInt(high ?? "", 16); code++) {
        if (targets.length > 1) map.set(code, utf16(targets[code - from] ?? ""));
        else {
          const first = utf16(targets[0] ?? "");
          map.set(
            code,
            first.slice(0, -1) +
              String.fromCharCode(first.charCodeAt(first.length - 1) + code - from),
          );
        }
      }
    }
  }
  const width = /\/Subtype \/Type0\b/.test(font.dictionary) ? 4 : 2;
  return (hex) =>
    (hex.match(new RegExp(`.{${width}}`, "g")) ?? [])
      .map((code) => map.get(Number.parseInt(code, 16)) ?? "\uFFFD")
      .join("");
}

type Token =
  | { number: number }
  | { name: string }
  | { hex: string }
  | { literal: string }
  | { operator: string }
  | "["
  | "]";

const isNumber = (token: Token): token is { number: number } =>
  typeof token === "object" && "number" in token;
const isHex = (token: Token | undefined): token is { hex: string } =>
  typeof token === "object" && "hex" in token;

/** A literal string's text from `(` on, its escapes read, and where it ends. */
function literalAt(content: string, open: number): { literal: string; end: number } {
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" };
  let literal = "";
  let depth = 0;
  for (let at = open + 1; at < content.length; at++) {
    const char = content[at] ?? "";
    if (char === "\\") {
      const octal = /^[0-7]{1,3}/.exec(content.slice(at + 1, at + 4))?.[0];
      const next = content[at + 1] ?? "";
      literal += octal ? String.fromCharCode(Number.parseInt(octal, 8)) : (escapes[next] ?? next);
      at += octal ? octal.length : 1;
    } else if (char === ")" && depth === 0) return { literal, end: at + 1 };
    else {
      if (char === "(") depth++;
      if (char === ")") depth--;
      literal += char;
    }
  }
  throw new Error("PDF content: a literal string that does not end");
}

/** A content stream's tokens; dictionaries' brackets (marked content's) are left out. */
function* tokensOf(content: string): Generator<Token> {
  const token =
    /\s*(?:(-?[\d.]+)|\/([^\s/<>[\]()]+)|<([\da-fA-F\s]*)>|(<<|>>)|(\()|([[\]])|([A-Za-z*'"]+))/y;
  while (token.lastIndex < content.length) {
    const at = token.lastIndex;
    const match = token.exec(content);
    if (!match) {
      if (/^\s*$/.test(content.slice(at))) return;
      throw new Error(`PDF content: cannot read ${JSON.stringify(content.slice(at, at + 20))}`);
    }
    const [, number, name, hex, , open, bracket, operator] = match;
    if (number !== undefined) yield { number: Number(number) };
    else if (name !== undefined) yield { name };
    else if (hex !== undefined) yield { hex: hex.replace(/\s/g, "") };
    else if (open !== undefined) {
      const { literal, end } = literalAt(content, token.lastIndex - 1);
      token.lastIndex = end;
      yield { literal };
    } else if (bracket !== undefined) yield bracket as "[" | "]";
    else if (operator !== undefined) yield { operator };
  }
}

/** A marked-content span's /ActualText (a ligature's letters), UTF-16 when it starts FE FF. */
function actualText(operands: Token[]): string | undefined {
  const at = operands.findIndex(
    (operand) => typeof operand === "object" && "name" in operand && operand.name === "ActualText",
  );
  const value = operands[at + 1];
  if (at < 0 || typeof value !== "object") return undefined;
  const bytes =
    "literal" in value
      ? Buffer.from(value.literal, "latin1")
      : "hex" in value
        ? Buffer.from(value.hex, "hex")
        : undefined;
  if (!bytes) return undefined;
  return bytes[0] === 0xfe && bytes[1] === 0xff
    ? bytes.subarray(2).swap16().toString("utf16le")
    : bytes.toString("latin1");
}

interface Run {
  x: number;
  y: number;
  text: string;
}

/**
 * What one page's content stream draws as text: one run per BT … ET, at the page's coordinates of
 * where it starts; a span with an /ActualText gives that text for the glyphs it draws.
 */
function runsOf(content: string, decoders: Map<string, (hex: string) => string>): Run[] {
  const runs: Run[] = [];
  const saved: Matrix[] = [];
  // One entry per open marked-content span: its ActualText until its glyphs have given it.
  const spans: (string | undefined)[] = [];
  let ctm = IDENTITY;
  let line = IDENTITY;
  let decode: ((hex: string) => string) | undefined;
  let run: Run | undefined;
  let operands: Token[] = [];
  let array: Token[] | undefined;
  const numbers = () => operands.filter(isNumber).map((operand) => operand.number);
  const show = (hex: string) => {
    if (!decode) throw new Error("PDF content: text shown before a font is set");
    if (!run) {
      const [, , , , x, y] = times(line, ctm);
      run = { x, y, text: "" };
    }
    const replaced = spans.findLastIndex((span) => span !== undefined);
    if (replaced < 0) run.text += decode(hex);
    else if (spans[replaced] !== "") {
      run.text += spans[replaced];
      spans[replaced] = "";
    }
  };
  const operate = (op: string) => {
    if (op === "q") saved.push(ctm);
    else if (op === "Q") ctm = saved.pop() ?? IDENTITY;
    else if (op === "cm") ctm = times(numbers() as Matrix, ctm);
    else if (op === "BT") line = IDENTITY;
    else if (op === "ET") {
      if (run?.text) runs.push(run);
      run = undefined;
    } else if (op === "Tf") {
      const font = operands[0];
      decode = typeof font === "object" && "name" in font ? decoders.get(font.name) : undefined;
    } else if (op === "Tm") line = numbers() as Matrix;
    else if (op === "Td" || op === "TD") {
      const [x = 0, y = 0] = numbers();
      line = times([1, 0, 0, 1, x, y], line);
    } else if (op === "Tj" || op === "TJ") {
      if (isHex(operands[0])) show(operands[0].hex);
    } else if (op === "BDC" || op === "BMC") spans.push(actualText(operands));
    else if (op === "EMC") spans.pop();
    else if (op === "'" || op === '"' || op === "T*") {
      throw new Error(`PDF content: the operator ${op}, which this reader does not follow`);
    }
  };
  for (const token of tokensOf(content)) {
    if (token === "[") array = [];
    else if (token === "]") {
      // A TJ's strings, its kerning numbers left out.
      operands.push({
        hex: (array ?? [])
          .filter(isHex)
          .map((part) => part.hex)
          .join(""),
      });
      array = undefined;
    } else if (array) array.push(token);
    else if (typeof token === "object" && "operator" in token) {
      operate(token.operator);
      operands = [];
    } else operands.push(token);
  }
  return runs;
}

/**
 * Each page's lines of text, top first: the runs on one baseline (a table row's cells) joined by a
 * space, left to right, each run of blanks one space.
 */
export function pdfPageLines(pdf: Buffer): string[][] {
  const objects = objectsOf(pdf);
  return pagesOf(objects).map((page) => {
    const fonts = /\/Font\s*<<([^>]*)>>/.exec(page.dictionary)?.[1] ?? "";
    const decoders = new Map(
      Array.from(fonts.matchAll(/\/(\S+) (\d+) 0 R/g), ([, name, reference]) => [
        name ?? "",
        decoderOf(objects, object(objects, reference)),
      ]),
    );
    const contents = /\/Contents (\[[^\]]*\]|\d+ 0 R)/.exec(page.dictionary)?.[1] ?? "";
    const content = references(contents)
      .map((reference) => object(objects, reference).stream?.toString("latin1") ?? "")
      .join("\n");
    const lines = new Map<number, Run[]>();
    for (const run of runsOf(content, decoders)) {
      const baseline = Math.round(run.y);
      lines.set(baseline, [...(lines.get(baseline) ?? []), run]);
    }
    return [...lines.entries()]
      .sort(([above], [below]) => below - above)
      .map(([, runs]) =>
        runs
          .sort((left, right) => left.x - right.x)
          .map((run) => run.text)
          .join(" ")
          .replace(/\s+/g, " ")
          .trim(),
      );
  });
}
