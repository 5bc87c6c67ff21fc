import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToHex, sha256InUse, useSha256, webCryptoSha256 } from "../../src/lib/sha256";
import { openLibsqlDatabase } from "../../src/node/database";
import { nodeApp, openRuntime } from "../../src/node/runtime";
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

  it("is the one a cluster's HTTP worker uses: its app over its own connection", async () => {
    // A worker (src/node/cluster/worker.ts) runs no openRuntime: it opens its own connection and
    // serves nodeApp over it. It kept Web Crypto, so the HTTP of `npm run serve` (a cluster unless
    // WEB_CONCURRENCY=1) hashed every key, client key and decision input through the thread pool.
    const key = "ck_test_fedcba9876543210fedcba9876543210";
    const settings = settingsFromEnv({
      DATABASE_URL: `file:${join(directory, "worker.db")}`,
      API_KEYS: `sha256:${createHash("sha256").update(key).digest("hex")}`,
    });
    // The primary migrates the file; the worker finds it ready.
    await (await openRuntime(settings)).close();
    useSha256(webCryptoSha256);
    const worker = await openLibsqlDatabase(settings.databaseUrl);
    try {
      const app = nodeApp(settings, worker.db, null);
      expect(sha256InUse()).toBe(nodeSha256);
      // A GET sends nothing to the queue (a worker's asks its primary).
      const bindings = { INGEST_QUEUE: { sendBatch: async () => undefined } };
      const viewLoans = (authorization: string) =>
        app(
          new Request("http://api.test/view-loans/1", {
            headers: { Authorization: authorization },
          }),
          bindings,
        );
      expect((await viewLoans(`Bearer ${key}`)).status).toBe(404);
      expect((await viewLoans(`Bearer ${key}x`)).status).toBe(401);
    } finally {
      worker.close();
    }
  });
});
