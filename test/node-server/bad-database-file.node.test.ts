import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { startServeProcess } from "../node/serve-process";

/*
 * `npm run serve` on a wrong or damaged database: a DATABASE_URL that libSQL reads otherwise than
 * the server did, which ended in a stack trace, or opened two files.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const _AS_ROOT = process.getuid?.() === 0;
/** Ports of this test's listeners (a database that refuses, one that never answers, a server). */
const _REFUSING_PORT = 19_390;
const _SILENT_PORT = 19_391;
const SERVER_PORT = 19_392;

let directory: string;
/** A real database of this product, with a customer, closed cleanly. */
let product: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bad-database-file-"));
  // The service's user must reach the files (mkdtemp makes the folder 0700).
  await chmod(directory, 0o755);
  product = join(directory, "product.db");
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${product}` }));
  const registered = await runtime.fetch(
    new Request("http://127.0.0.1/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(registration(50_000)),
    }),
  );
  expect(registered.status).toBe(201);
  await runtime.close();
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** `npm run serve` (no npm around it) with DATABASE_URL, to its end: exit code and output. */
async function serve(databaseUrl: string, options: { asServiceUser?: boolean } = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/serve.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(SERVER_PORT),
      SEED: "false",
      WEB_CONCURRENCY: "1",
      INGEST_TOKEN: "",
      HOME: tmpdir(),
    },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.asServiceUser ? { uid: 65_534, gid: 65_534 } : {}),
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  // A start that says ready must not be left running, whatever the assertion says of it.
  const watchdog = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(watchdog);
  return { code, output };
}

describe("npm run serve on a DATABASE_URL that libSQL reads otherwise", () => {
  it("refuses a file: URL with a host, a query or a fragment in one line", async () => {
    for (const [url, line] of [
      ["file://data/credit.db", /^DATABASE_URL names a host \(data\)/],
      [`file:${product}?mode=ro`, /^DATABASE_URL must be file:<path> with no query/],
      [`file:${product}#x`, /^DATABASE_URL must be file:<path> with no query/],
    ] as const) {
      const { code, output } = await serve(url);
      expect(code, output).toBe(1);
      expect(output.trim().split("\n"), output).toHaveLength(1);
      expect(output).toMatch(line);
    }
  }, 90_000);

  it("opens one file for a %-escaped path, the one the migrations went to", async () => {
    // The server's own connection opened `with%20space.db` (empty), the migrations `with space.db`:
    // the start ended in a stack trace and left both.
    const server = await startServeProcess({
      DATABASE_URL: `file:${join(directory, "with%20space.db")}`,
      PORT: String(SERVER_PORT),
      WEB_CONCURRENCY: "1",
    });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
    expect(existsSync(join(directory, "with space.db"))).toBe(true);
    expect(existsSync(join(directory, "with%20space.db"))).toBe(false);
  }, 90_000);
});
