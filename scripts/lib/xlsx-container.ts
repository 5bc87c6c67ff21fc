/*
 * Checks, before any row is read, that a file is a complete xlsx package. exceljs's streaming reader
 * would find a truncated file's damage only when it reaches it, after rows were already handed on
 * (and sent); a zip keeps its table of contents at the very end, so reading that first catches a
 * cut-off file up front. It also turns "invalid signature" into a sentence a person can act on.
 *
 * The same directory gives the order to read the parts in. Excel stores the worksheet before the
 * shared strings, exceljs before the sheet list too, and exceljs's streaming reader then copies
 * the whole worksheet to a temporary file (343 MB for a million loans) and parses it only once the
 * zip has been read to its end. Handing it the parts with the worksheets last lets it parse each
 * worksheet as it inflates, with no copy.
 */
import { type FileHandle, open } from "node:fs/promises";
import { inflateRawSync } from "node:zlib";
import { WorkbookError } from "./workbook-error";
import { date1904Of } from "./workbook-properties";

const LOCAL_FILE_HEADER = 0x04034b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const END_RECORD_SIZE = 22;
const MAX_ZIP_COMMENT = 0xffff;
/** Zip64 archives put this in the classic end record and the real values elsewhere. */
const ZIP64_MARKER = 0xffffffff;
/** An xlsx directory lists a handful of parts; anything bigger is not one we can ingest. */
const MAX_CENTRAL_DIRECTORY = 16 * 1024 * 1024;
/** Compound File Binary: legacy .xls, and also any password-protected (encrypted) workbook. */
const OLE_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const WORKSHEET_PART = /^xl\/worksheets\/sheet\d+\.xml$/;
/** The sheet list and workbook properties; exceljs reads it from this name only, too. */
const WORKBOOK_PART = "xl/workbook.xml";
/** A sheet list is a few KB; one this large is not read here (exceljs still reads it). */
const MAX_WORKBOOK_PART = 16 * 1024 * 1024;
const STORED = 0;
const DEFLATED = 8;

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

/** Opens a workbook, or throws a `WorkbookError` saying why it cannot be. */
export async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT" ? "file not found" : `cannot be opened (${code ?? String(error)})`;
    throw new WorkbookError(path, problem, { cause: error });
  }
}

const isWorksheet = (part: StoredPart) => WORKSHEET_PART.test(part.name);

/** A part of the zip as stored: its name and where its local header starts. */
interface StoredPart {
  name: string;
  offset: number;
}

/** Where a part's compressed bytes are found, as the directory describes them. */
interface CompressedPart extends StoredPart {
  method: number;
  compressedSize: number;
}

export interface Directory {
  parts: StoredPart[];
  /** Where the central directory starts: the end of the last part's data. */
  offset: number;
  /** `xl/workbook.xml`, when the directory lists it. */
  workbook?: CompressedPart;
}

/** Bytes `start` (included) to `end` (excluded) of the file. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The zip's central directory, or null for a zip64 archive (not inspected). */
async function readDirectory(
  file: FileHandle,
  path: string,
  size: number,
): Promise<Directory | null> {
  const tailLength = Math.min(size, END_RECORD_SIZE + MAX_ZIP_COMMENT);
  const tail = await readAt(file, size - tailLength, tailLength);
  let endRecord = -1;
  for (let at = tail.length - END_RECORD_SIZE; at >= 0; at--) {
    if (tail.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
      endRecord = at;
      break;
    }
  }
  if (endRecord < 0) {
    throw new WorkbookError(path, "is truncated or damaged: the zip's end record is missing");
  }
  const directorySize = tail.readUInt32LE(endRecord + 12);
  const directoryOffset = tail.readUInt32LE(endRecord + 16);
  if (directorySize === ZIP64_MARKER || directoryOffset === ZIP64_MARKER) return null;
  const endRecordPosition = size - tailLength + endRecord;
  if (
    directoryOffset + directorySize > endRecordPosition ||
    directorySize > MAX_CENTRAL_DIRECTORY
  ) {
    throw new WorkbookError(path, "is truncated or damaged: the zip's directory is out of bounds");
  }
  const directory = await readAt(file, directoryOffset, directorySize);
  const parts: StoredPart[] = [];
  let workbook: CompressedPart | undefined;
  for (let at = 0; at + 46 <= directory.length; ) {
    if (directory.readUInt32LE(at) !== CENTRAL_DIRECTORY_ENTRY) {
      throw new WorkbookError(path, "is damaged: the zip's directory is unreadable");
    }
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const part = {
      name: directory.toString("utf8", at + 46, at + 46 + nameLength),
      offset: directory.readUInt32LE(at + 42),
    };
    parts.push(part);
    if (part.name === WORKBOOK_PART) {
      workbook = {
        ...part,
        method: directory.readUInt16LE(at + 10),
        compressedSize: directory.readUInt32LE(at + 20),
      };
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  return { parts, offset: directoryOffset, workbook };
}

/**
 * The workbook's date system from its `workbookPr`, or null when the part cannot be read here
 * (then exceljs's reading stands). exceljs takes only `date1904="1"` as true; LibreOffice writes
 * `"true"`, and its 1904 workbooks were read in the 1900 system: every date 1,462 days early.
 */
async function readDate1904(file: FileHandle, part: CompressedPart): Promise<boolean | null> {
  if (part.compressedSize > MAX_WORKBOOK_PART) return null;
  const header = await readAt(file, part.offset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_FILE_HEADER) return null;
  const dataStart = part.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const data = await readAt(file, dataStart, part.compressedSize);
  try {
    if (part.method === STORED) return date1904Of(data.toString("utf8"));
    if (part.method === DEFLATED) {
      return date1904Of(
        inflateRawSync(data, { maxOutputLength: 4 * MAX_WORKBOOK_PART }).toString("utf8"),
      );
    }
  } catch {
    // Damaged: exceljs meets the same bytes and fails the file with its own error.
  }
  return null;
}

/**
 * The file's bytes in the order to stream them: every part as stored (local header, data and any
 * data descriptor), worksheets after all the others, then the directory and end record as they
 * are (a streaming unzip reads the directory's entries without following their offsets). Null
 * when nothing needs to move, or when the parts do not tile the file from its first byte (data
 * before the first part, or overlapping parts): such a file is streamed as it is.
 */
export function readingOrder(directory: Directory, size: number): ByteRange[] | null {
  const stored = [...directory.parts].sort((a, b) => a.offset - b.offset);
  const lastOther = stored.findLastIndex((part) => !isWorksheet(part));
  const firstWorksheet = stored.findIndex(isWorksheet);
  if (firstWorksheet < 0 || firstWorksheet > lastOther) return null;
  const ranges = stored.map((part, index) => ({
    part,
    start: part.offset,
    end: stored[index + 1]?.offset ?? directory.offset,
  }));
  if (ranges[0]?.start !== 0 || ranges.some((range) => range.end <= range.start)) return null;
  return [
    ...ranges.filter((range) => !isWorksheet(range.part)),
    ...ranges.filter((range) => isWorksheet(range.part)),
    { start: directory.offset, end: size },
  ].map(({ start, end }) => ({ start, end }));
}

/** `readingOrder`, or null when the directory points anywhere but at a part's header. */
async function checkedReadingOrder(
  file: FileHandle,
  directory: Directory,
  size: number,
): Promise<ByteRange[] | null> {
  const order = readingOrder(directory, size);
  for (const range of order?.slice(0, -1) ?? []) {
    const header = await readAt(file, range.start, 4);
    if (header.length < 4 || header.readUInt32LE(0) !== LOCAL_FILE_HEADER) return null;
  }
  return order;
}

export interface XlsxContainer {
  /** The byte ranges to stream the file in (worksheets last), or null to stream it as it is. */
  order: ByteRange[] | null;
  /** The workbook counts dates from 1904; null when unknown here (exceljs's reading stands). */
  date1904: boolean | null;
}

/**
 * Throws a `WorkbookError` unless `path` is a complete xlsx package with at least one worksheet;
 * read through `opened` when given (left open), else through a handle of its own.
 */
export async function assertXlsxContainer(
  path: string,
  opened?: FileHandle,
): Promise<XlsxContainer> {
  const file = opened ?? (await openForReading(path));
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw new WorkbookError(path, "is not a regular file");
    const { size } = stats;
    if (size === 0) throw new WorkbookError(path, "is empty (0 bytes), not an xlsx workbook");
    const start = await readAt(file, 0, OLE_SIGNATURE.length);
    if (start.equals(OLE_SIGNATURE)) {
      throw new WorkbookError(
        path,
        "is a legacy .xls or a password-protected workbook; save it unprotected as .xlsx",
      );
    }
    if (start.length < 4 || start.readUInt32LE(0) !== LOCAL_FILE_HEADER) {
      throw new WorkbookError(path, "is not an xlsx workbook (it is not a zip archive)");
    }
    const directory = await readDirectory(file, path, size);
    if (directory === null) return { order: null, date1904: null };
    if (!directory.parts.some(isWorksheet)) {
      throw new WorkbookError(path, "is a zip archive but not an xlsx workbook (no worksheets)");
    }
    const date1904 = directory.workbook ? await readDate1904(file, directory.workbook) : null;
    return { order: await checkedReadingOrder(file, directory, size), date1904 };
  } finally {
    if (opened === undefined) await file.close();
  }
}
