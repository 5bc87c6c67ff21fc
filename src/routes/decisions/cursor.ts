/*
 * The opaque cursor of a customer's decision history: base64url of "d2:<customer id>:<seq>", the
 * customer whose history it pages and the position of the last record on the page. Clients pass
 * it back untouched; its format may change.
 */

const PREFIX = "d2:";

export interface Cursor {
  customerId: number;
  seq: number;
}

export function encodeCursor(cursor: Cursor): string {
  return btoa(`${PREFIX}${cursor.customerId}:${cursor.seq}`)
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The customer and position a cursor names, or null when it is not one this server issued. */
export function decodeCursor(cursor: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,60}$/.test(cursor)) return null;
  let text: string;
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  const match = /^d2:([1-9][0-9]{0,15}):([1-9][0-9]{0,15})$/.exec(text);
  if (!match) return null;
  const customerId = Number(match[1]);
  const seq = Number(match[2]);
  return Number.isSafeInteger(customerId) && Number.isSafeInteger(seq) ? { customerId, seq } : null;
}
