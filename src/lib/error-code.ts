/**
 * The `code` an error carries (a system call's errno name, SQLite's result code), or "error" for one
 * without: the start's lines and /readyz name the code, and each must name something.
 */
export function errorCode(error: unknown): string {
  const { code } = (error ?? {}) as { code?: unknown };
  return typeof code === "string" && code !== "" ? code : "error";
}
