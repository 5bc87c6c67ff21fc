import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byteLength, sendSizes, utf8Length } from "../../src/ingest/messages";
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
