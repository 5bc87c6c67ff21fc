import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../../src/routes/decisions/cursor";

const BOOKMARK = "0000004a-00000003-00004f9d-8d0f1c67d58b4ff3c24a2a4fbd0c3b7e";

/** base64url without padding, as the server writes it. */
function base64url(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

describe("the decision history's cursor", () => {
  it("round-trips the customer, the position and the session's bookmark", () => {
    const cursor = {
      customerId: 9_007_199_254_740_991,
      seq: 9_007_199_254_740_991,
      bookmark: BOOKMARK,
    };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it("carries no bookmark where the session had none (libSQL), in the earlier format", () => {
    const encoded = encodeCursor({ customerId: 12, seq: 345, bookmark: null });
    expect(encoded).toBe(base64url("d2:12:345"));
    expect(decodeCursor(encoded)).toEqual({ customerId: 12, seq: 345, bookmark: null });
  });

  it("still takes a cursor handed out before bookmarks were added", () => {
    // What the server issued before: base64url of "d2:<customer id>:<seq>".
    expect(decodeCursor(base64url("d2:7:42"))).toEqual({ customerId: 7, seq: 42, bookmark: null });
  });

  it("refuses a cursor whose bookmark was tampered with or cut short", () => {
    const good = `d3:7:42:${BOOKMARK}`;
    expect(decodeCursor(base64url(good))).toEqual({ customerId: 7, seq: 42, bookmark: BOOKMARK });
    for (const tampered of [
      `d3:7:42:${BOOKMARK.slice(0, -1)}`,
      `d3:7:42:${BOOKMARK}0`,
      `d3:7:42:${BOOKMARK.replace("8d0f", "8d0g")}`,
      `d3:7:42:${BOOKMARK.toUpperCase()}`,
      `d3:7:42:${BOOKMARK.replaceAll("-", "0")}`,
      `d3:7:42:${"-".repeat(59)}`,
      `d3:7:42:${BOOKMARK.replace("-", "0").replace("c", "-")}`,
      "d3:7:42:",
      "d3:7:42",
      `d3:7:${BOOKMARK}`,
      `d2:7:42:${BOOKMARK}`,
      `d3:0:42:${BOOKMARK}`,
      `d3:7:042:${BOOKMARK}`,
      `d3:7:42:${BOOKMARK}\n`,
      `d3:99999999999999999:42:${BOOKMARK}`,
    ]) {
      expect(decodeCursor(base64url(tampered)), tampered).toBeNull();
    }
  });

  it("refuses what is not base64url of a cursor, or is longer than any cursor", () => {
    const long = base64url(`d3:1234567890123456:1234567890123456:${BOOKMARK}`);
    expect(long.length).toBe(128);
    for (const bad of [
      "",
      "not a cursor",
      "a",
      "====",
      `${long}A`,
      base64url("d1:0"),
      "%F0%9F%98%80",
    ]) {
      expect(decodeCursor(bad), bad).toBeNull();
    }
    // 16 digits that are not a safe integer.
    expect(decodeCursor(base64url(`d3:9999999999999999:1:${BOOKMARK}`))).toBeNull();
  });
});
