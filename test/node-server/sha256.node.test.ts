import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToHex, sha256InUse, useSha256, webCryptoSha256 } from "../../src/lib/sha256";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { nodeSha256 } from "../../src/node/sha256";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "sha256-"));
});
afterAll(async () => {
  useSha256(webCryptoSha256);
  await rm(directory, { recursive: true, force: true });
});

describe("the Node server's SHA-256", () => {
  it("gives Web Crypto's digest for every text, lone surrogates included", async () => {
    expect(bytesToHex(await nodeSha256("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.string({ unit: "grapheme" }),
          fc.string({ unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map(String.fromCharCode) }),
        ),
        async (text) => {
          expect(bytesToHex(await nodeSha256(text))).toBe(bytesToHex(await webCryptoSha256(text)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is the one the runtime uses, so API keys are checked with it", async () => {
    useSha256(webCryptoSha256);
    const key = "ck_test_0123456789abcdef0123456789abcdef";
    const digest = createHash("sha256").update(key).digest("hex");
    const runtime = await openRuntime(
      settingsFromEnv({
        DATABASE_URL: `file:${join(directory, "keys.db")}`,
        API_KEYS: `sha256:${digest}`,
      }),
    );
    try {
      expect(sha256InUse()).toBe(nodeSha256);
      const viewLoans = (authorization: string) =>
        runtime.fetch(
          new Request("http://api.test/view-loans/1", {
            headers: { Authorization: authorization },
          }),
        );
      // The key is known: past the check to the route (no customer 1 in an empty database).
      expect((await viewLoans(`Bearer ${key}`)).status).toBe(404);
      expect((await viewLoans(`Bearer ${key}x`)).status).toBe(401);
    } finally {
      await runtime.close();
    }
  });
});
