/**
 * A problem that makes a whole workbook unusable (missing file, not an xlsx, truncated, no header,
 * missing column). Nothing from such a file may be ingested, so the caller stops; a problem with
 * one row is a rejection instead, and reading goes on.
 */
export class WorkbookError extends Error {
  override readonly name = "WorkbookError";

  constructor(
    /** The file as the caller named it. */
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}
