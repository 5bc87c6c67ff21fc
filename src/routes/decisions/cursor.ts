import { BOOKMARK_PATTERN } from "../../lib/bookmark-header";

/*
 * The opaque cursor of a customer's decision history: base64url of
 * "d3:<customer id>:<seq>:<bookmark>", the customer whose history it pages, the position of the
 * last record on the page, and the bookmark of the D1 session that read the page, so that the next
 * page is read from a copy at least as recent as that one (docs/decisions.md#reading-them, "Paging
 * and read replicas"). Where the runtime has no sessions (libSQL, the Node server) there is no
 * bookmark and the cursor is the earlier "d2:<customer id>:<seq>", which is still taken: cursors
 * handed out before bookmarks were added keep working (without a bookmark, as before). Clients
 * pass it back untouched; its format may change.
 *
 * It is not signed: it grants nothing a client could not already ask for (a position in the same
 * customer's history, checked by the handler; a bookmark, which the x-d1-bookmark header takes
 * too). A cursor that does not decode to exactly one of these shapes is refused.
 */

const PLAIN = /^d2:([1-9][0-9]{0,15}):([1-9][0-9]{0,15})$/;
const WITH_BOOKMARK = /^d3:([1-9][0-9]{0,15}):([1-9][0-9]{0,15}):([0-9a-f-]{59})$/;
/** D1's shape (the header's pattern without its empty case), in the lowercase D1 hands out. */
const BOOKMARK = new RegExp(BOOKMARK_PATTERN, "u");

/** "d3:" + two 16-digit numbers + a 59-character bookmark, three colons: 96 characters, 128 in base64. */
const MAX_ENCODED = 128;

export interface Cursor {
  customerId: number;
  seq: number;
  /** The bookmark of the session that read the previous page; null when it had none. */
  bookmark: string | null;
}

export function encodeCursor(cursor: Cursor): string {
  const text =
    cursor.bookmark === null
      ? `d2:${cursor.customerId}:${cursor.seq}`
      : `d3:${cursor.customerId}:${cursor.seq}:${cursor.bookmark}`;
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** What a cursor names, or null when it is not one this server issued. */
export function decodeCursor(cursor: string): Cursor | null {
  if (!new RegExp(`^[A-Za-z0-9_-]{1,${MAX_ENCODED}}$`).test(cursor)) return null;
  let text: string;
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
  const match = PLAIN.exec(text) ?? WITH_BOOKMARK.exec(text);
  if (!match) return null;
  const customerId = Number(match[1]);
  const seq = Number(match[2]);
  const bookmark = match[3] ?? null;
  if (bookmark !== null && !BOOKMARK.test(bookmark)) return null;
  return Number.isSafeInteger(customerId) && Number.isSafeInteger(seq)
    ? { customerId, seq, bookmark }
    : null;
}
