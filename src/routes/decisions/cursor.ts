/*
 * The opaque cursor of a customer's decision history: base64url of "d1:<seq>", the position of
 * the last record on the page. Clients pass it back untouched; its format may change.
 */

const PREFIX = "d1:";

export function encodeCursor(seq: number): string {
  return btoa(`${PREFIX}${seq}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The position a cursor names, or null when it is not one this server issued. */
export function decodeCursor(cursor: string): number | null {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return null;
  let text: string;
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  const match = /^d1:([1-9][0-9]{0,15})$/.exec(text);
  const seq = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(seq) ? seq : null;
}
