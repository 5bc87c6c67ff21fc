import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { chooseIngestToken } from "../../scripts/lib/local-ingest-token";
import { freePort, onFreshPort, type PortTry } from "../../scripts/lib/local-worker";
import { recordOutput, spawnGroup } from "../../scripts/lib/process-group";
import { holdPort } from "../node/held-port";
import { recordingLookups } from "../node/host-lookups";
import { npmScriptCommand } from "../node/npm-script";

/*
 * `npm start` for real (package.json's command: wrangler dev, Miniflare's D1 and Queues), run from
 * a scratch directory that stands in for a clone: its own .dev.vars and .wrangler state, a
 * wrangler.toml pointing at this project's code and built assets, and a free port.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FORMER_PUBLIC_DEFAULT = "local-dev-ingest-token";
let child: ChildProcess | undefined;
let scratch: string | undefined;

afterEach(async () => {
  if (child?.exitCode === null && child.pid !== undefined) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    process.kill(-child.pid, "SIGKILL");
    await exited;
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
  child = undefined;
  scratch = undefined;
});

/** A clone's directory: the project's wrangler.toml with absolute paths and no build step. */
async function scratchClone(devVars?: string): Promise<string> {
  scratch = await mkdtemp(join(tmpdir(), "start-script-"));
  const config = (await readFile(join(ROOT, "wrangler.toml"), "utf8"))
    .replace(/^main = "(.+)"$/m, (_, path) => `main = "${join(ROOT, path)}"`)
    .replace(/^directory = "(.+)"$/m, (_, path) => `directory = "${join(ROOT, path)}"`)
    .replace(/^migrations_dir = "(.+)"$/m, (_, path) => `migrations_dir = "${join(ROOT, path)}"`)
    // The assets are built once for the suite (`npm run build:assets`).
    .replace(/^\[build\]\ncommand = .*\n/m, "");
  await writeFile(join(scratch, "wrangler.toml"), config);
  await writeFile(
    join(scratch, ".dev.vars.example"),
    await readFile(join(ROOT, ".dev.vars.example")),
  );
  if (devVars !== undefined) await writeFile(join(scratch, ".dev.vars"), devVars);
  return scratch;
}

/** Starts `npm start` in `directory` in its own process group (as a terminal's Ctrl-C reaches it). */
function spawnStart(directory: string, env: Record<string, string>): ChildProcess {
  const { INGEST_TOKEN: _ignored, ...inherited } = process.env;
  const { command, args } = npmScriptCommand("start");
  child = spawnGroup(command, args, { cwd: directory, env: { ...inherited, ...env } });
  return child;
}

/** Runs `npm start` in `directory`, expected to stop on its own; its exit code and output. */
async function startUntilExit(directory: string, env: Record<string, string>) {
  const started = spawnStart(directory, env);
  const output = recordOutput(started);
  const [code] = await once(started, "exit");
  return { code: code as number | null, output: output.text() };
}

/**
 * Runs `npm start` in `directory` until it prints its ready line; returns the API URL and what
 * every try printed. freePort's port is free only when it answers: the migrations' and wrangler's
 * own servers (ports of the OS's choosing) can take it before wrangler dev listens, about 1 start
 * in 1,000, and npm start then exits naming it. Such a start is tried again on another port.
 */
async function start(directory: string, env: Record<string, string> = {}, pickPort = freePort) {
  const printed: (() => string)[] = [];
  const output = () => printed.map((text) => text()).join("");
  const url = await onFreshPort(async (port): Promise<PortTry<string>> => {
    const recorded = recordOutput(spawnStart(directory, { ...env, PORT: String(port) }));
    printed.push(recorded.text);
    try {
      await recorded.waitFor(/ready: API /, 150_000);
      return { value: `http://127.0.0.1:${port}` };
    } catch (error) {
      return { failure: `${(error as Error).message}\n${recorded.text()}` };
    }
  }, pickPort);
  return { url, output };
}

/** SIGTERM as a terminal sends it; resolves once npm start has exited and its Worker is gone. */
async function stop(url: string): Promise<void> {
  const exited = new Promise((resolve) => child?.once("exit", resolve));
  process.kill(-(child?.pid ?? 0), "SIGTERM");
  await exited;
  await expect(fetch(`${url}/openapi.json`)).rejects.toThrow();
}

const summary = (url: string, token: string) =>
  fetch(`${url}/ingest/summary`, { headers: { Authorization: `Bearer ${token}` } });

describe("npm start's ingest token", () => {
  it("is the user's from the environment first, then from .dev.vars, else a fresh random one", () => {
    expect(chooseIngestToken("from-env", "INGEST_TOKEN=from-file\n")).toEqual({
      source: "environment",
      token: "from-env",
      passToWorker: true,
    });
    expect(chooseIngestToken(undefined, '# mine\nINGEST_TOKEN="from-file"\n')).toEqual({
      source: ".dev.vars",
      token: "from-file",
      passToWorker: false,
    });
    const first = chooseIngestToken(undefined, "# INGEST_TOKEN=commented-out\nCORS_ORIGINS=\n");
    const second = chooseIngestToken("", "");
    expect(first).toMatchObject({ source: "random", passToWorker: true });
    expect(first.token).toMatch(/^[\w-]{43}$/);
    expect(second.token).not.toBe(first.token);
  });

  it("is none when .dev.vars sets it empty: ingest is off", () => {
    expect(chooseIngestToken(undefined, "INGEST_TOKEN=\n")).toEqual({
      source: "off",
      token: null,
      passToWorker: false,
    });
  });
});

describe("npm start", () => {
  it("in a fresh clone seeds through ingest with a random token, looks up no host, and SIGTERM stops its Worker", async () => {
    const directory = await scratchClone();
    const lookups = await recordingLookups(directory);
    const { url, output } = await start(directory, lookups.env);

    // One line for the migrations: wrangler's tables (about 450 lines) buried the ready line.
    const migrations = (await readdir(join(ROOT, "migrations"))).filter((name) =>
      name.endsWith(".sql"),
    );
    expect(output()).toMatch(new RegExp(`^applied ${migrations.length} local D1 migrations$`, "m"));
    expect(output()).not.toMatch(/Migrations to be applied|About to apply|[┌│└]/);
    expect(await readFile(join(directory, ".dev.vars"), "utf8")).not.toMatch(/^INGEST_TOKEN=/m);
    expect((await fetch(`${url}/view-loan/7798`)).status).toBe(200);
    expect((await summary(url, FORMER_PUBLIC_DEFAULT)).status).toBe(401);
    await stop(url);
    expect(await lookups.names()).toEqual([]);
  }, 240_000);

  it("is started again on another port by this suite when its port was taken before it listened", async () => {
    const directory = await scratchClone("INGEST_TOKEN=\n");
    const taken = await holdPort();
    const offered = [taken.port];
    try {
      const { url, output } = await start(directory, {}, async () => offered.shift() ?? freePort());
      expect(url).not.toBe(`http://127.0.0.1:${taken.port}`);
      expect(output()).toMatch(/already in use/);
      await stop(url);
    } finally {
      taken.release();
    }
  }, 240_000);

  it("hands a token from the environment to wrangler in a 0600 file, never on a command line", async () => {
    const directory = await scratchClone("CORS_ORIGINS=\n");
    // Its own temp dir, so the test sees the env file appear and go.
    const temp = join(directory, "tmp");
    await mkdir(temp);
    // A `$` would be expanded by wrangler's dotenv loader if it were written unescaped.
    const token = "token-from-env-$HOME-$PATH-0123456789abcdef";
    const { url } = await start(directory, { INGEST_TOKEN: token, TMPDIR: temp });

    const argvs = await processGroupArgvs(child?.pid ?? 0);
    expect(argvs.some((argv) => argv.includes("workerd"))).toBe(true);
    expect(argvs.filter((argv) => argv.includes("0123456789abcdef"))).toEqual([]);
    // tsx and wrangler keep their own things in the temp dir too.
    const envDirs = async () =>
      (await readdir(temp)).filter((name) => name.startsWith("credit-approval-start-"));
    const [envDir = ""] = await envDirs();
    expect((await stat(join(temp, envDir, "worker.env"))).mode & 0o777).toBe(0o600);
    expect((await summary(url, token)).status).toBe(200);
    await stop(url);
    expect(await envDirs()).toEqual([]);
  }, 240_000);

  it("with its port already taken by another server exits 1 naming the port, and never says ready", async () => {
    const directory = await scratchClone();
    // Another server on the port, answering the readiness probe as a Worker would.
    const other = createServer((_, response) => response.writeHead(200).end("{}"));
    other.listen(await freePort(), "127.0.0.1");
    await once(other, "listening");
    const { port } = other.address() as { port: number };
    try {
      const { code, output } = await startUntilExit(directory, { PORT: String(port) });

      expect(code).toBe(1);
      expect(output).toMatch(
        new RegExp(`^npm start failed: 127\\.0\\.0\\.1:${port} is already in use.*PORT=`, "m"),
      );
      expect(output).not.toMatch(/ready: API|seeding|ingest/);
    } finally {
      other.close();
    }
  }, 240_000);

  it("with a HOST that is not this machine's exits 1 saying it cannot listen, not that the port is taken", async () => {
    const directory = await scratchClone();
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no interface of this machine has it.
    const { code, output } = await startUntilExit(directory, {
      HOST: "192.0.2.1",
      PORT: String(await freePort()),
    });

    expect(code).toBe(1);
    expect(output).toMatch(
      /^npm start failed: cannot listen on 192\.0\.2\.1:\d+ \(EADDRNOTAVAIL\)/m,
    );
    expect(output).not.toMatch(/already in use|ready: API/);
  }, 240_000);

  it("with a PORT that is not a port exits 1 naming the setting, as npm run serve does, and no stack trace", async () => {
    const directory = await scratchClone();
    const { code, output } = await startUntilExit(directory, { PORT: "abc" });

    expect(code).toBe(1);
    expect(output).toMatch(/^npm start failed: PORT must be a whole number from 1 to 65535$/m);
    expect(output).not.toMatch(/RangeError|at |ready: API/);
  }, 240_000);

  it("with ingest turned off in .dev.vars starts, says in one line why it does not seed, and stops", async () => {
    const directory = await scratchClone("INGEST_TOKEN=\n");
    const { url, output } = await start(directory);

    expect(output()).toMatch(/^not seeding: INGEST_TOKEN is empty in \.dev\.vars.*$/m);
    expect(output()).not.toMatch(/IngestRequestError|\n\s+at /);
    const refused = await summary(url, FORMER_PUBLIC_DEFAULT);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/disabled/);
    // The cron fired by hand, as docs/databases.md says. wrangler's own hint at start named
    // /cdn-cgi/handler/scheduled, which answers 500 in a Worker with [assets].
    const cron = await fetch(`${url}/__scheduled?cron=17+*+*+*+*`);
    expect(cron.status).toBe(200);
    expect(await cron.text()).toBe("Ran scheduled event");
    expect(output()).not.toMatch(/cdn-cgi\/handler\/scheduled/);
    await stop(url);
  }, 240_000);

  it("a second time in the same folder exits 1 naming the first, which keeps serving; a stale claim is taken over", async () => {
    const directory = await scratchClone("INGEST_TOKEN=\n");
    const { url } = await start(directory);
    const first = child;

    const secondRun = startUntilExit(directory, { PORT: String(await freePort()) });
    const secondChild = child;
    child = first;
    // Without the check the second one started and ran on: stop it after a bounded wait.
    const timer = setTimeout(() => process.kill(-(secondChild?.pid ?? 0), "SIGKILL"), 60_000);
    const second = await secondRun.finally(() => clearTimeout(timer));
    expect(second.code).toBe(1);
    expect(second.output).toMatch(
      new RegExp(
        `^npm start failed: npm start is already running in this folder \\(pid ${first?.pid}, ${url}\\)`,
        "m",
      ),
    );
    expect(second.output).not.toMatch(/ready: API|Migrations/);
    expect((await fetch(`${url}/view-loans/1`)).status).toBe(404);

    // Killed without its cleanup: the claim names a process that is gone.
    process.kill(-(first?.pid ?? 0), "SIGKILL");
    await once(first as ChildProcess, "exit");
    const again = await start(directory);
    expect(again.output()).not.toMatch(/already running|No migrations to apply/);
    expect(again.output()).toMatch(/^local D1 database is up to date$/m);
    await stop(again.url);
    await expect(stat(join(directory, ".wrangler", "npm-start.pid"))).rejects.toThrow();
  }, 300_000);

  it("with a migration that fails exits 1 after wrangler's whole output and the failure sentence", async () => {
    const directory = await scratchClone();
    const migrations = join(directory, "migrations");
    await mkdir(migrations);
    await writeFile(join(migrations, "0000_broken.sql"), "CREATE TABLE oops (;\n");
    const config = join(directory, "wrangler.toml");
    await writeFile(
      config,
      (await readFile(config, "utf8")).replace(
        /^migrations_dir = .*$/m,
        `migrations_dir = "${migrations}"`,
      ),
    );
    const { code, output } = await startUntilExit(directory, { PORT: String(await freePort()) });

    expect(code).toBe(1);
    // Its tables on stdout and its error on stderr, then the sentence that names the step.
    expect(output).toMatch(
      /0000_broken\.sql[\s\S]*Migration 0000_broken\.sql failed[\s\S]*incomplete input[\s\S]*\nApplying the local D1 migrations failed; see the output above\.\n$/,
    );
    expect(output).not.toMatch(/ready: API|applied \d+ local D1/);
  }, 240_000);

  it("with settings in .dev.vars that do not parse exits 1 at once naming each, not after 60 s of waiting", async () => {
    const directory = await scratchClone(
      "INGEST_TOKEN=\nDECISION_RETENTION_MONTHS=0\nAPI_KEYS=sha256:abc\n",
    );
    const startedAt = Date.now();
    const { code, output } = await startUntilExit(directory, { PORT: String(await freePort()) });

    expect(code).toBe(1);
    const failure = output.match(/^npm start failed: .*$/m)?.[0] ?? "";
    expect(failure).toMatch(/settings.*\.dev\.vars/);
    expect(failure).toMatch(/DECISION_RETENTION_MONTHS must be an integer from 1 to 1200/);
    expect(failure).toMatch(/API_KEYS entries must look like sha256:<64 hex digits>/);
    expect(output).not.toMatch(/did not answer|ready: API/);
    // The Worker logs the bad settings once per request it refuses; waiting it out logged ~200.
    expect(output.match(/invalid settings/g)?.length ?? 0).toBeLessThan(5);
    expect(Date.now() - startedAt).toBeLessThan(50_000);
  }, 240_000);

  // `API_KEYS=` meant keys and got none: it was taken as unset, and the API was open to anyone.
  it("with a blank API_KEYS in .dev.vars exits 1 naming it, never serving an open API", async () => {
    const directory = await scratchClone("API_KEYS=\n");
    const { code, output } = await startUntilExit(directory, { PORT: String(await freePort()) });

    expect(code, output).toBe(1);
    expect(output.match(/^npm start failed: .*$/m)?.[0]).toMatch(
      /API_KEYS is blank: .* leave API_KEYS unset to run the API open on purpose/,
    );
    expect(output).not.toMatch(/ready: API/);
  }, 240_000);
});

/** The command lines of every process in process group `group`, as `ps` shows them to anyone. */
async function processGroupArgvs(group: number): Promise<string[]> {
  const argvs: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 5 of /proc/<pid>/stat is the process group; the command name before it may hold spaces.
      const fields = (await readFile(`/proc/${entry}/stat`, "utf8")).split(") ")[1]?.split(" ");
      if (Number(fields?.[2]) !== group) continue;
      argvs.push((await readFile(`/proc/${entry}/cmdline`, "utf8")).replaceAll("\0", " "));
    } catch {
      // The process ended while being read.
    }
  }
  return argvs;
}
