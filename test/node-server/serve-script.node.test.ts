import type { ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { recordOutput, spawnGroup } from "../../scripts/lib/process-group";
import { npmScriptCommand } from "../node/npm-script";

/*
 * `npm run serve` as a user runs it (package.json's command, without npm around it): a fresh
 * database is migrated and seeded with the bundled workbooks through the ingest path (by one process,
 * and by a cluster's HTTP workers), then SIGTERM stops the server cleanly (exit code 0).
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FORMER_PUBLIC_DEFAULT = "local-dev-ingest-token";
let child: ChildProcess | undefined;
let directory: string | undefined;

afterEach(async () => {
  if (child?.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  if (directory) await rm(directory, { recursive: true, force: true });
  child = undefined;
  directory = undefined;
});

/** Starts `npm run serve` on a scratch database and a free port. */
async function serve(
  env: Record<string, string>,
): Promise<{ url: string; databaseFile: string; output: () => string }> {
  directory = await mkdtemp(join(tmpdir(), "serve-script-"));
  const databaseFile = join(directory, "credit.db");
  const { INGEST_TOKEN: _ignored, ...inherited } = process.env;
  const { command, args } = npmScriptCommand("serve");
  // Its own process group, as a terminal's Ctrl-C reaches it.
  child = spawnGroup(command, args, {
    cwd: ROOT,
    env: {
      ...inherited,
      PORT: "0",
      DATABASE_URL: `file:${databaseFile}`,
      WEB_CONCURRENCY: "1",
      ...env,
    },
  });
  const output = recordOutput(child);
  const [, url = ""] = await output.waitFor(/ready: API (http:\/\/\S+)/, 90_000);
  return { url, databaseFile, output: output.text };
}

async function stopWithSigterm(): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child?.once("exit", resolve));
  process.kill(-(child?.pid ?? 0), "SIGTERM");
  return exited;
}

/**
 * The processes of the script's group other than the one spawned, paused as a busy machine pauses
 * them (Linux: from /proc). With a launcher in between (tsx's CLI runs the script in a child
 * process and kills it when it does not acknowledge a signal within 60 ms), these are the server.
 */
async function pauseGroupExceptLeader(leader: number): Promise<number[]> {
  const paused: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === leader) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Fields after the command's closing parenthesis: state, parent, process group, …
    const group = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    if (group === leader) {
      process.kill(Number(entry), "SIGSTOP");
      paused.push(Number(entry));
    }
  }
  return paused;
}

function ingestSummary(url: string, token: string) {
  return fetch(`${url}/ingest/summary`, { headers: { Authorization: `Bearer ${token}` } });
}

/** The customers and loans in the database file the stopped server left. */
async function storedRows(databaseFile: string) {
  const database = createClient({ url: `file:${databaseFile}` });
  try {
    const counts = await database.execute(
      "SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM loans) AS loans",
    );
    return { ...counts.rows[0] };
  } finally {
    database.close();
  }
}

describe("npm run serve", () => {
  it("without INGEST_TOKEN migrates and seeds an empty database with a random token, serves it, and stops on SIGTERM", async () => {
    const { url, databaseFile, output } = await serve({});

    // On loopback (the default HOST): the ready line alone (test/scripts/ready-line.node.test.ts).
    expect(output()).toContain(
      `\nready: API ${url}  docs ${url}/docs  OpenAPI ${url}/openapi.json\n`,
    );
    expect(output()).not.toMatch(/all interfaces/);
    expect((await fetch(`${url}/view-loan/7798`)).status).toBe(200);
    // The token it seeded with is its own: the old public default opens nothing.
    expect((await ingestSummary(url, FORMER_PUBLIC_DEFAULT)).status).toBe(401);

    expect(await stopWithSigterm()).toBe(0);
    expect(await storedRows(databaseFile)).toEqual({ customers: 300, loans: 782 });
  }, 120_000);

  it("seeds an empty database through its HTTP workers with WEB_CONCURRENCY=2, and stops on SIGTERM", async () => {
    const { url, databaseFile } = await serve({ WEB_CONCURRENCY: "2" });
    expect((await fetch(`${url}/view-loan/7798`)).status).toBe(200);
    expect(await stopWithSigterm()).toBe(0);
    expect(await storedRows(databaseFile)).toEqual({ customers: 300, loans: 782 });
  }, 180_000);

  it("uses the user's INGEST_TOKEN when one is set", async () => {
    const token = "serve-script-test-token";
    const { url } = await serve({ INGEST_TOKEN: token, SEED: "false" });
    expect(await (await ingestSummary(url, token)).json()).toEqual({ customers: 0, loans: 0 });
    expect((await ingestSummary(url, FORMER_PUBLIC_DEFAULT)).status).toBe(401);
    expect(await stopWithSigterm()).toBe(0);
  }, 120_000);

  // SEED=off, like METRICS=off, used to seed: only false, 0 and no were read as off.
  it("does not seed with SEED=off", async () => {
    const token = "serve-script-test-token";
    const { url } = await serve({ INGEST_TOKEN: token, SEED: "off" });
    expect(await (await ingestSummary(url, token)).json()).toEqual({ customers: 0, loans: 0 });
    expect(await stopWithSigterm()).toBe(0);
  }, 120_000);

  it("stops at start, naming SEED, when SEED is neither on nor off", async () => {
    await expect(serve({ SEED: "flase" })).rejects.toThrow(
      /exited with 78 before printing .*:\s*SEED must be true or false/,
    );
  }, 120_000);

  it("stops at start, naming TRUSTED_PROXIES, when an entry is not an address or range", async () => {
    await expect(serve({ TRUSTED_PROXIES: "loopback, proxy.internal" })).rejects.toThrow(
      /exited with 78 before printing .*:\s*TRUSTED_PROXIES has "proxy.internal", which is not an IP address/,
    );
  }, 120_000);

  // `API_KEY` (for API_KEYS) left the API open with no word of it: a misspelled name is ignored.
  it("warns once, naming the setting it is near, of a misspelled setting's name, never its value", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const { url, output } = await serve({ SEED: "false", WEB_CONCURRENCY: "2", API_KEY: digest });
    const warnings = output()
      .split("\n")
      .filter((line) => line.includes('"setting":"API_KEY"'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] ?? "")).toMatchObject({ level: "warn", meant: "API_KEYS" });
    expect(output()).not.toContain(digest);
    expect((await fetch(`${url}/api`)).status).toBe(200);
    expect(await stopWithSigterm()).toBe(0);
  }, 180_000);

  // `METRICS_TOKEN=` (a .env line left empty, `$SCRAPE_TOKEN` unset) is unset, as any blank
  // setting: /metrics was open with no word of it to an operator who meant to protect it.
  it("warns once, naming METRICS_TOKEN, when it is blank and /metrics is open", async () => {
    const { url, output } = await serve({
      SEED: "false",
      WEB_CONCURRENCY: "2",
      METRICS_TOKEN: " ",
    });
    const warnings = output()
      .split("\n")
      .filter((line) => line.includes('"setting":"METRICS_TOKEN"'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] ?? "")).toMatchObject({
      level: "warn",
      what: "METRICS_TOKEN is blank, so it is unset: /metrics is open to anyone who reaches the port",
    });
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect(await stopWithSigterm()).toBe(0);
  }, 180_000);

  // `file:` alone used to open a database in memory, which lost every write at the restart.
  it("stops at start, naming DATABASE_URL, when its file: URL names no file", async () => {
    for (const url of ["file:", "file::memory:"]) {
      await expect(serve({ DATABASE_URL: url }), url).rejects.toThrow(
        /exited with 78 before printing .*:\s*DATABASE_URL must name a database file/,
      );
    }
  }, 120_000);

  // `libsql://$TURSO_HOST` with the variable unset: a stack trace from libSQL's client, exit 1.
  it("stops at start, naming DATABASE_URL, when its remote URL names no host", async () => {
    await expect(serve({ DATABASE_URL: "libsql://" })).rejects.toThrow(
      /exited with 78 before printing .*:\s*DATABASE_URL must be a URL the libSQL client accepts/,
    );
  }, 120_000);

  // `FILE:` used to reach the file through the remote client: /readyz 503 for good.
  it("opens a FILE: URL (scheme in any case) as its database file, ready", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "serve-script-upper-"));
    try {
      const { url } = await serve({ DATABASE_URL: `FILE:${join(scratch, "upper.db")}` });
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json()).toEqual({ status: "ready", migrations: expect.any(Number) });
      expect(await stopWithSigterm()).toBe(0);
      expect(await readdir(scratch)).toContain("upper.db");
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  // A closed terminal or SSH session sends SIGHUP to the group: it used to kill every process
  // on the spot, without finishing requests or folding the WAL into the database.
  it.each(["1", "2"])(
    "stops gracefully on SIGHUP (WEB_CONCURRENCY=%s)",
    async (workers) => {
      const { url } = await serve({ SEED: "false", WEB_CONCURRENCY: workers });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child?.once("exit", resolve));
      process.kill(-(child?.pid ?? 0), "SIGHUP");
      expect(await exited).toBe(0);
    },
    120_000,
  );

  // It used to print the error object with its stack (and, in a cluster, the primary's too).
  it.each(["1", "2"])(
    "stops at start naming HOST and PORT, without a stack trace, when it cannot listen (WEB_CONCURRENCY=%s)",
    async (workers) => {
      const failure = await serve({
        HOST: "no-such-host.invalid",
        SEED: "false",
        WEB_CONCURRENCY: workers,
      }).then(
        () => new Error("it started"),
        (error: Error) => error,
      );
      expect(failure.message).toMatch(
        /exited with 1 before printing .*:\s*cannot listen: getaddrinfo \w+ no-such-host\.invalid \(check HOST and PORT\)/,
      );
      expect(failure.message).not.toMatch(/\n\s+at /);
    },
    120_000,
  );

  // A cluster worker's listen fails in the primary's bind, reported as syscall "bind": the worker
  // printed the error with its stack, then the primary's line (WEB_CONCURRENCY=1 said it in one
  // line). Now the worker's one line, then with two workers the primary's "exited while starting";
  // exit code 1, not 78: a port another process is leaving comes free, and a restart then starts.
  it.each(["1", "2"])(
    "stops at start naming HOST and PORT, without a stack trace, when the port is taken (WEB_CONCURRENCY=%s)",
    async (workers) => {
      const taken = await listenOnFreePort();
      try {
        const port = String((taken.address() as { port: number }).port);
        const failure = await serve({ PORT: port, SEED: "false", WEB_CONCURRENCY: workers }).then(
          () => new Error("it started"),
          (error: Error) => error,
        );
        expect(failure.message).toMatch(
          new RegExp(
            `^exited with 1 [\\s\\S]*cannot listen: \\w+ EADDRINUSE[^\\n]*127\\.0\\.0\\.1:${port}[^\\n]*\\(check HOST and PORT\\)`,
          ),
        );
        expect(failure.message).not.toMatch(/\n\s+at /);
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    },
    120_000,
  );

  it("exits 0 on SIGTERM even when the server is slow to take the signal", async () => {
    await serve({ SEED: "false" });
    const leader = child?.pid ?? 0;
    const paused = await pauseGroupExceptLeader(leader);
    const exited = new Promise<number | null>((resolve) => child?.once("exit", resolve));
    process.kill(-leader, "SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const pid of paused) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // Already gone.
      }
    }
    expect(await exited).toBe(0);
  }, 120_000);
});

/** Another server holding a port on 127.0.0.1, as a second `npm run serve` finds it. */
function listenOnFreePort(): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}
