import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/*
 * `npm run serve` as a user runs it: a fresh database is migrated and seeded with the bundled
 * workbooks through the ingest path, then SIGTERM stops the server cleanly (exit code 0).
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "serve-script-test-token";
let child: ChildProcess | undefined;
let directory: string | undefined;

afterAll(async () => {
  if (child?.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** Resolves with the API URL once the script prints its ready line. */
function readyUrl(process: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`not ready:\n${output}`)), timeoutMs);
    process.stdout?.on("data", (data: Buffer) => {
      output += data.toString();
      const url = /ready: API (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    process.stderr?.on("data", (data: Buffer) => {
      output += data.toString();
    });
    process.once("exit", (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

describe("npm run serve", () => {
  it("migrates and seeds an empty database, serves it, and stops on SIGTERM", async () => {
    directory = await mkdtemp(join(tmpdir(), "serve-script-"));
    child = spawn(join(ROOT, "node_modules/.bin/tsx"), ["scripts/serve.ts"], {
      cwd: ROOT,
      // Its own process group, so the test can stop tsx and the server together.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PORT: "0",
        DATABASE_URL: `file:${join(directory, "credit.db")}`,
        INGEST_TOKEN: TOKEN,
      },
    });
    const url = await readyUrl(child, 60_000);

    const summary = await fetch(`${url}/ingest/summary`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(await summary.json()).toEqual({ customers: 300, loans: 782 });
    expect((await fetch(`${url}/view-loan/7798`)).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => child?.once("exit", resolve));
    process.kill(-(child.pid ?? 0), "SIGTERM");
    expect(await exited).toBe(0);
  }, 90_000);
});
