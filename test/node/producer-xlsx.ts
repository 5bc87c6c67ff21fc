/*
 * Workbooks as other spreadsheets save them (LibreOffice, Google Sheets), written from their XML
 * parts: exceljs's writer cannot make what they write differently (`date1904="true"`, a hidden
 * first sheet, inline strings, text cells without a formula). The zip is deflated, with sizes and
 * CRCs in the local headers, as LibreOffice stores it.
 */
import { writeFile } from "node:fs/promises";
import { crc32, deflateRawSync } from "node:zlib";

/**
 * A cell: text (a shared string, or inline with `inlineStrings`), a number, empty, or its XML as
 * written (`{ t: "e", v: "#N/A" }` is `<c t="e"><v>#N/A</v></c>`; `f` adds a formula).
 */
export type ProducerCell = string | number | null | { t: string; v: string; f?: string };

export interface ProducerSheet {
  name: string;
  state?: "hidden" | "veryHidden";
  rows: ProducerCell[][];
}

export interface ProducerWorkbook {
  sheets: ProducerSheet[];
  /** `workbookPr`'s date1904 as written: LibreOffice writes "true"/"false", Excel "1". */
  date1904?: string;
  /** Text as inline strings (`t="inlineStr"`) instead of the shared-string table. */
  inlineStrings?: boolean;
  /** The styles part (`xl/styles.xml`) as written; without it the workbook has none. */
  styles?: string;
}

const MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships";

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A1-style column letters of a 0-based column. */
function columnLetters(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

function workbookParts({ sheets, date1904, inlineStrings, styles }: ProducerWorkbook) {
  const shared: string[] = [];
  const cellXml = (cell: ProducerCell, ref: string): string => {
    if (cell === null) return "";
    if (typeof cell === "number") return `<c r="${ref}"><v>${cell}</v></c>`;
    if (typeof cell === "object") {
      const formula = cell.f === undefined ? "" : `<f>${escapeXml(cell.f)}</f>`;
      return `<c r="${ref}" t="${cell.t}">${formula}<v>${escapeXml(cell.v)}</v></c>`;
    }
    if (inlineStrings) {
      return `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(cell)}</t></is></c>`;
    }
    return `<c r="${ref}" t="s"><v>${shared.push(cell) - 1}</v></c>`;
  };
  const sheetXml = (sheet: ProducerSheet) =>
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${MAIN}" xmlns:r="${RELATIONSHIPS}"><sheetData>${sheet.rows
      .map(
        (row, r) =>
          `<row r="${r + 1}">${row.map((cell, c) => cellXml(cell, `${columnLetters(c)}${r + 1}`)).join("")}</row>`,
      )
      .join("")}</sheetData></worksheet>`;
  const worksheets = sheets.map(sheetXml);
  const parts: Record<string, string> = {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${sheets
      .map(
        (_sheet, i) =>
          `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
      )
      .join(
        "",
      )}<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="${PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" Type="${RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    "xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="${MAIN}" xmlns:r="${RELATIONSHIPS}"><fileVersion appName="Calc"/><workbookPr backupFile="false" showObjects="all"${
      date1904 === undefined ? "" : ` date1904="${date1904}"`
    }/><sheets>${sheets
      .map(
        (sheet, i) =>
          `<sheet name="${escapeXml(sheet.name)}" sheetId="${i + 1}"${sheet.state ? ` state="${sheet.state}"` : ""} r:id="rId${i + 2}"/>`,
      )
      .join("")}</sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="${PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" Type="${RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>${sheets
      .map(
        (_sheet, i) =>
          `<Relationship Id="rId${i + 2}" Type="${RELATIONSHIPS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
      )
      .join("")}</Relationships>`,
  };
  worksheets.forEach((xml, i) => {
    parts[`xl/worksheets/sheet${i + 1}.xml`] = xml;
  });
  // After the worksheets, as Excel stores it; exceljs finds it by this name alone.
  if (styles !== undefined) parts["xl/styles.xml"] = styles;
  // After the worksheets, once they have filled it; LibreOffice stores it after them too.
  parts["xl/sharedStrings.xml"] =
    `<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="${MAIN}" count="${shared.length}" uniqueCount="${shared.length}">${shared
      .map((text) => `<si><t xml:space="preserve">${escapeXml(text)}</t></si>`)
      .join("")}</sst>`;
  return parts;
}

/** A zip of deflated entries, each with its sizes and CRC in its local header. */
function zip(parts: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  const entries = Object.entries(parts);
  for (const [name, text] of entries) {
    const data = Buffer.from(text, "utf8");
    const compressed = deflateRawSync(data);
    const nameBytes = Buffer.from(name, "utf8");
    const fields = (header: Buffer, at: number) => {
      header.writeUInt16LE(20, at); // version needed
      header.writeUInt16LE(0, at + 2); // flags
      header.writeUInt16LE(8, at + 4); // deflate
      header.writeUInt32LE(0, at + 6); // time and date
      header.writeUInt32LE(crc32(data), at + 10);
      header.writeUInt32LE(compressed.length, at + 14);
      header.writeUInt32LE(data.length, at + 18);
      header.writeUInt16LE(nameBytes.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 4);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    fields(central, 6);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    directory.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directoryBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directoryBytes, end]);
}

/** Writes the workbook to `path` and returns the path. */
export async function writeProducerXlsx(path: string, workbook: ProducerWorkbook): Promise<string> {
  await writeFile(path, zip(workbookParts(workbook)));
  return path;
}
