import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { WorkbookFile } from "./workbook-digest";

/*
 * `npm run ingest -- --resend-dead REPORT`: the rows an earlier run's dead chunks carried, read
 * from its report (`file_rows`, docs/ingestion.md#a-dead-chunks-rows), for a run that reads the
 * same workbooks whole but sends only those rows again.
 */

/** Refused, naming the report: the run sends nothing. */
export class DeadRowsError extends Error {
  override name = "DeadRowsError";
}

/** Ranges as they are read, in any order: their first and last rows, side by side. */
interface RangeList {
  firsts: number[];
  lasts: number[];
}

/**
 * A set of worksheet rows as sorted, disjoint inclusive ranges: 16 bytes a range (a million
 * scattered rows take 16 MB, and about as much again while they are read).
 */
class RowRanges {
  readonly #firsts: Float64Array;
  readonly #lasts: Float64Array;
  /** How many rows the ranges hold. */
  readonly size: number;

  constructor({ firsts, lasts }: RangeList) {
    const order = Uint32Array.from(firsts, (_, index) => index).sort(
      (a, b) => (firsts[a] as number) - (firsts[b] as number),
    );
    const sortedFirsts = new Float64Array(order.length);
    const sortedLasts = new Float64Array(order.length);
    let count = 0;
    let size = 0;
    for (const index of order) {
      const first = firsts[index] as number;
      const last = lasts[index] as number;
      const previous = count > 0 ? (sortedLasts[count - 1] as number) : undefined;
      // Two chunks never carry the same row, but overlapping ranges would count it twice.
      if (previous !== undefined && first <= previous + 1) {
        if (last > previous) {
          size += last - previous;
          sortedLasts[count - 1] = last;
        }
        continue;
      }
      sortedFirsts[count] = first;
      sortedLasts[count] = last;
      count += 1;
      size += last - first + 1;
    }
    this.#firsts = sortedFirsts.slice(0, count);
    this.#lasts = sortedLasts.slice(0, count);
    this.size = size;
  }

  has(row: number): boolean {
    let low = 0;
    let high = this.#firsts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if ((this.#firsts[middle] as number) > row) high = middle - 1;
      else if ((this.#lasts[middle] as number) < row) low = middle + 1;
      else return true;
    }
    return false;
  }
}

/** The rows to send again, by kind, and the report they come from. */
export interface DeadRows {
  report: string;
  customers: RowRanges;
  loans: RowRanges;
  /**
   * The workbooks' SHA-256, found the report's: the run's read of each must give the same (its
   * report's digests are of the bytes it read). Absent when there is no row to send, and so no run.
   */
  digests?: { customers: string; loans: string };
  /**
   * The workbooks as opened to hash them, left open for the run to read its rows through (a file
   * replaced under its name since is not read: the handle reads the one found the report's); the
   * caller closes them. Absent with `digests`.
   */
  files?: { customers: WorkbookFile; loans: WorkbookFile };
}

const RANGE = /^(\d+)(?:-(\d+))?$/;

/** Adds the ranges the report writes ("12-40, 77") to `list`; false when the text is not such. */
function addRanges(text: string, list: RangeList): boolean {
  for (const part of text.split(", ")) {
    const match = RANGE.exec(part);
    if (!match) return false;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (!Number.isSafeInteger(last) || first < 1 || last < first) return false;
    list.firsts.push(first);
    list.lasts.push(last);
  }
  return true;
}

/**
 * Refuses workbooks whose bytes are not those the report's run read (its `sha256` per file): the
 * report names rows by number, and a workbook edited since, under the same name, had whatever
 * those rows now hold sent (another customer's loan, another Loan ID). Both are checked, whichever
 * kind died: the run reads both whole, and decides as that run did only on the same files.
 */
async function assertUnchanged(
  refuse: (why: string) => DeadRowsError,
  files: { customers: string; loans: string },
  recorded: { customers: unknown; loans: unknown },
): Promise<Required<Pick<DeadRows, "digests" | "files">>> {
  const kinds = ["customers", "loans"] as const;
  const digestOf = (summary: unknown) => (summary as { sha256?: unknown } | null)?.sha256;
  // A report without them (file_rows came one release earlier, the same day) is refused, not
  // trusted with a warning: sent anyway, a changed workbook's rows would land for good, while
  // running the whole workbooks again is always safe (an upsert).
  if (kinds.some((kind) => typeof digestOf(recorded[kind]) !== "string")) {
    throw refuse(
      "it gives no SHA-256 of the workbooks (a report written before they were added, 2026-12-06), so they cannot be told unchanged; run the whole workbooks again",
    );
  }
  const digests = { customers: "", loans: "" };
  const opened: Partial<Record<(typeof kinds)[number], WorkbookFile>> = {};
  try {
    for (const kind of kinds) {
      const file = files[kind];
      let digest: string;
      try {
        opened[kind] = await WorkbookFile.open(file);
        digest = await opened[kind].sha256();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw refuse(`the ${kind} workbook ${file} cannot be read (${code})`);
      }
      if (digest !== digestOf(recorded[kind])) {
        throw refuse(
          `the ${kind} workbook ${file} is not the one that run read (its SHA-256 is not the report's): name that run's workbooks unchanged, or run the whole workbooks again`,
        );
      }
      digests[kind] = digest;
    }
  } catch (error) {
    await Promise.all(Object.values(opened).map((file) => file.close()));
    throw error;
  }
  return { digests, files: opened as Record<(typeof kinds)[number], WorkbookFile> };
}

/**
 * The dead chunks' rows of `reportFile`, for the workbooks `files` (which must be the report's:
 * the same file names and, when there are rows to send, the same bytes). Refuses a report it
 * cannot use, saying why.
 */
export async function deadRowsOf(
  reportFile: string,
  files: { customers: string; loans: string },
): Promise<DeadRows> {
  const refuse = (why: string) =>
    new DeadRowsError(`cannot send again the dead rows of ${reportFile}: ${why} (--resend-dead)`);
  let report: unknown;
  try {
    report = JSON.parse(await readFile(reportFile, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code ? `it cannot be read (${code})` : "it is not JSON");
  }
  const { customers, loans, dead_chunks: dead, error } = (report ?? {}) as Record<string, unknown>;
  const fileOf = (summary: unknown) =>
    typeof (summary as { file?: unknown } | null)?.file === "string"
      ? (summary as { file: string }).file
      : undefined;
  if (!Array.isArray(dead) || fileOf(customers) === undefined || fileOf(loans) === undefined) {
    throw refuse("it is not an ingest report");
  }
  if (typeof error === "string") {
    throw refuse(
      "that run stopped before the end, so rows it never sent are not in it; run the whole workbooks again",
    );
  }
  for (const [kind, file] of [
    ["customers", files.customers],
    ["loans", files.loans],
  ] as const) {
    const named = fileOf(kind === "customers" ? customers : loans);
    if (basename(file) !== named) {
      throw refuse(
        `it is the report of ${kind} workbook ${named}, not ${basename(file)}: name the run's workbooks (--customers, --loans)`,
      );
    }
  }
  const byKind: Record<"customers" | "loans", RangeList> = {
    customers: { firsts: [], lasts: [] },
    loans: { firsts: [], lasts: [] },
  };
  for (const chunk of dead as Record<string, unknown>[]) {
    const kind = chunk?.kind;
    if (
      (kind !== "customers" && kind !== "loans") ||
      typeof chunk?.file_rows !== "string" ||
      !addRanges(chunk.file_rows, byKind[kind])
    ) {
      throw refuse(
        `dead chunk ${String(chunk?.seq)} names no rows (a report written before 2026-12-06); run the whole workbooks again`,
      );
    }
  }
  const rows = {
    customers: new RowRanges(byKind.customers),
    loans: new RowRanges(byKind.loans),
  };
  // With no row to send, nothing could go wrong: the run says so and sends nothing.
  if (rows.customers.size + rows.loans.size === 0) return { report: reportFile, ...rows };
  return {
    report: reportFile,
    ...rows,
    ...(await assertUnchanged(refuse, files, { customers, loans })),
  };
}
