import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  byteLength,
  oversizedParts,
  QUEUE_LIMITS,
  sendSizes,
  utf8Length,
} from "../../src/ingest/messages";
import { propertyRuns } from "../support/property-seed";

describe("utf8Length", () => {
  it("counts what TextEncoder writes, for any text, lone surrogates included", () => {
    const encoder = new TextEncoder();
    const text = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map(String.fromCharCode) }),
    );
    fc.assert(
      fc.property(text, (value) => {
        expect(utf8Length(value)).toBe(encoder.encode(value).byteLength);
      }),
      propertyRuns("utf8 length", 300),
    );
  });

  it("sizes a row as its JSON", () => {
    const row = { first_name: "Zoë", last_name: "李", note: "😀", emoji_half: "\ud83d" };
    expect(byteLength(row)).toBe(new TextEncoder().encode(JSON.stringify(row)).byteLength);
  });
});

describe("sendSizes", () => {
  it("gives each message's size and the send's, as serialising the whole send would", () => {
    const message = fc.record({
      job_id: fc.string(),
      seq: fc.nat(),
      rows: fc.array(fc.record({ name: fc.string({ unit: "grapheme" }), n: fc.double() })),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 5 }), (messages) => {
        const sizes = sendSizes(messages);
        expect(sizes.messages).toEqual(messages.map(byteLength));
        expect(sizes.send).toBe(byteLength(messages));
      }),
      propertyRuns("send sizes", 200),
    );
  });
});

describe("oversizedParts", () => {
  const ofBytes = (bytes: number) => ({ pad: "x".repeat(bytes - byteLength({ pad: "" })) });

  it("names nothing in a send the queue takes, at its limits", () => {
    const half = QUEUE_LIMITS.maxSendBytes / 2 - 1;
    expect(oversizedParts([ofBytes(QUEUE_LIMITS.maxMessageBytes)])).toEqual([]);
    expect(sendSizes([ofBytes(half), ofBytes(half)]).send).toBe(QUEUE_LIMITS.maxSendBytes + 1);
    expect(oversizedParts([ofBytes(half), ofBytes(half - 1)])).toEqual([]);
  });

  it("names each message over its limit, and the send only when no message is", () => {
    const over = ofBytes(QUEUE_LIMITS.maxMessageBytes + 1);
    expect(oversizedParts([ofBytes(10), over, over]).map((part) => part.field)).toEqual([
      "messages.1",
      "messages.2",
    ]);
    const third = Math.ceil(QUEUE_LIMITS.maxSendBytes / 3);
    expect(oversizedParts([ofBytes(third), ofBytes(third), ofBytes(third)])).toEqual([
      { field: "messages", message: `must be at most ${QUEUE_LIMITS.maxSendBytes} bytes in all` },
    ]);
  });
});
