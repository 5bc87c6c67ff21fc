import { copyFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/local-worker";
import { scratchFiles } from "../node/ingest-fixtures";
import {
  type RefusingDatabaseHost,
  startRefusingDatabaseHost,
} from "../node/refusing-database-host";
import { startOutcome } from "../node/serve-process";
import { openMigratedLibsql } from "../support/migrated-libsql";
import { overwriteRootPage } from "../support/overwritten-page";

/*
 * The exit code of a start `npm run serve` refuses, which a supervisor reads to decide whether to
 * start it again. Every refusal exited 1, so systemd's Restart=on-failure restarted a bad setting
 * or a damaged file five times before giving up. Now what only an operator can fix exits 78
 * (EX_CONFIG, for the unit's RestartPreventExitStatus=78), and what may pass by itself (a database
 * server out of reach, a lock another process holds) still exits 1. In a cluster, the primary
 * exits with the code its worker's refusal had.
 */

const EX_CONFIG = 78;
const scratch = scratchFiles();
const preload = fileURLToPath(new URL("../node/replace-database-in-worker.cjs", import.meta.url));
/** A real database of this product, closed cleanly. */
let product: string;

beforeAll(async () => {
  product = scratch("product.db");
  const database = await openMigratedLibsql(`file:${product}`);
  database.close();
});

describe.each(["1", "2"])("a start npm run serve refuses (WEB_CONCURRENCY=%s)", (workers) => {
  it("exits 78 on a setting that does not parse", async () => {
    const { code, output } = await startOutcome({ SEED: "flase", WEB_CONCURRENCY: workers });
    expect(code, output).toBe(EX_CONFIG);
    expect(output.trim()).toBe("SEED must be true or false (1/0, yes/no, on/off)");
  }, 90_000);

  // `API_KEYS=$KEYS` with KEYS unset (a systemd unit, docker run, a CI deploy): the server
  // started with the API open to anyone, and said nothing.
  it("exits 78 on a blank API_KEYS, never an open API", async () => {
    for (const keys of ["", "  "]) {
      // Its own file: a server that does start (the defect) must not make the project's.
      const { code, output } = await startOutcome({
        API_KEYS: keys,
        DATABASE_URL: `file:${scratch(`open-${workers}.db`)}`,
        WEB_CONCURRENCY: workers,
      });
      expect(code, output).toBe(EX_CONFIG);
      expect(output.trim()).toMatch(
        /^API_KEYS is blank: .* leave API_KEYS unset to run the API open on purpose$/,
      );
    }
  }, 90_000);

  it("exits 78 on a database file with a damaged page, and on a file that is no database", async () => {
    const damaged = scratch(`damaged-${workers}.db`);
    await copyFile(product, damaged);
    await overwriteRootPage(damaged, "loans");
    const text = scratch(`text-${workers}.db`);
    await writeFile(text, "not a database\n");
    for (const [path, line] of [
      [damaged, /: is damaged \(SQLITE_CORRUPT: /],
      [text, /: does not read as a SQLite database \(SQLITE_NOTADB\)/],
    ] as const) {
      const { code, output } = await startOutcome({
        DATABASE_URL: `file:${path}`,
        WEB_CONCURRENCY: workers,
      });
      expect(code, output).toBe(EX_CONFIG);
      expect(output).toMatch(line);
    }
  }, 90_000);

  it("exits 78 when the database's folder cannot be created, a file standing in its place", async () => {
    const file = scratch(`a-file-${workers}`);
    await writeFile(file, "");
    const { code, output } = await startOutcome({
      DATABASE_URL: `file:${file}/data/credit.db`,
      WEB_CONCURRENCY: workers,
    });
    expect(code, output).toBe(EX_CONFIG);
    expect(output).toMatch(/: its folder .* cannot be created \(ENOTDIR\)/);
  }, 90_000);

  it("exits 1 when the remote database refuses the connection, which may pass", async () => {
    const closed = await freePort();
    const { code, output } = await startOutcome({
      DATABASE_URL: `http://127.0.0.1:${closed}`,
      WEB_CONCURRENCY: workers,
    });
    expect(code, output).toBe(1);
    expect(output.trim()).toMatch(
      new RegExp(`^database 127\\.0\\.0\\.1:${closed}: did not answer \\(.*ECONNREFUSED`),
    );
  }, 90_000);
});

describe("a start npm run serve cannot make for now", () => {
  it("exits 1 when another process holds the database's lock past the busy timeout", async () => {
    const path = scratch("locked.db");
    await copyFile(product, path);
    const holder = new NativeDatabase(path);
    try {
      // A rollback-journal file (the copy of one closed cleanly is in WAL mode: leave it).
      holder.exec("PRAGMA journal_mode = DELETE");
      holder.exec("BEGIN EXCLUSIVE");
      const { code, output } = await startOutcome({
        DATABASE_URL: `file:${path}`,
        WEB_CONCURRENCY: "1",
      });
      expect(code, output).toBe(1);
      expect(output).toMatch(/SQLITE_BUSY/);
    } finally {
      holder.close();
    }
  }, 90_000);
});

/*
 * A remote database host that answers, and refuses: Turso and sqld answer a wrong, expired or
 * missing token 401, and Turso a database that does not exist 404. These were "did not answer
 * (SERVER_ERROR: Server returned HTTP status 401)" and exit 1, restarted by systemd for nothing.
 */
describe("a start on a remote database that refuses it", () => {
  /** What no line may print: the token the host was sent. */
  const TOKEN = "eyJhbGciOiJFZERTQSJ9.secret-part.signature";
  const hosts: RefusingDatabaseHost[] = [];
  afterAll(async () => {
    await Promise.all(hosts.map((host) => host.close()));
  });
  /** `npm run serve` against a host answering `status`: its exit code, its line, what the host saw. */
  const startAgainst = async (
    status: number,
    env: { url?: (host: RefusingDatabaseHost) => string; token?: string; workers?: string } = {},
  ) => {
    const host = await startRefusingDatabaseHost(status, `the server's words for ${status}`);
    hosts.push(host);
    const { code, output } = await startOutcome({
      DATABASE_URL: env.url?.(host) ?? host.url,
      DATABASE_AUTH_TOKEN: env.token ?? TOKEN,
      WEB_CONCURRENCY: env.workers ?? "1",
    });
    expect(output).not.toContain("secret-part");
    return { code, line: output.trim(), host: host.host, seen: host.seen() };
  };
  const NEW_TOKEN =
    "set it to a token for this database (Turso: turso db tokens create <database>)";

  it.each(["1", "2"])(
    "exits 78 when it refuses the token (HTTP 401), naming the setting, never the token (WEB_CONCURRENCY=%s)",
    async (workers) => {
      const { code, line, host, seen } = await startAgainst(401, { workers });
      expect({ code, line }).toEqual({
        code: EX_CONFIG,
        line: `database ${host}: refused the credentials (HTTP 401): DATABASE_AUTH_TOKEN is wrong, expired or another database's; ${NEW_TOKEN}`,
      });
      expect(seen[0]).toBe("POST /v2/pipeline bearer");
    },
    90_000,
  );

  it("exits 78 on HTTP 403 to a token in DATABASE_URL's query, naming that one", async () => {
    const url = (host: RefusingDatabaseHost) => `libsql://${host.host}?tls=0&authToken=${TOKEN}`;
    const { code, line, host } = await startAgainst(403, { url, token: "" });
    expect({ code, line }).toEqual({
      code: EX_CONFIG,
      line: `database ${host}: refused the credentials (HTTP 403): the authToken in DATABASE_URL is wrong, expired or another database's; ${NEW_TOKEN}`,
    });
  }, 90_000);

  it("exits 78 on HTTP 401 with no token set, saying none is", async () => {
    const { code, line, host, seen } = await startAgainst(401, { token: "" });
    expect({ code, line }).toEqual({
      code: EX_CONFIG,
      line: `database ${host}: asks for credentials (HTTP 401) and no DATABASE_AUTH_TOKEN is set; ${NEW_TOKEN}`,
    });
    expect(seen[0]).toBe("POST /v2/pipeline no token");
  }, 90_000);

  it("exits 78 when no database is at the URL (HTTP 404), naming its host", async () => {
    const { code, line, host } = await startAgainst(404);
    expect({ code, line }).toEqual({
      code: EX_CONFIG,
      line: `database ${host}: has no database at this URL (HTTP 404); check DATABASE_URL (Turso: turso db show <database> --url)`,
    });
  }, 90_000);

  it("exits 1 when it answers 500, an outage that may pass", async () => {
    const { code, line, host } = await startAgainst(500);
    expect({ code, line }).toEqual({
      code: 1,
      line: `database ${host}: did not answer (SERVER_ERROR: Server returned HTTP status 500); check DATABASE_URL, DATABASE_AUTH_TOKEN and that it is reachable`,
    });
  }, 90_000);
});

describe("a cluster whose HTTP worker refuses its start", () => {
  it("exits 78, as the worker did, when the database is replaced by a file that is no database after the primary opened it", async () => {
    const path = scratch("replaced.db");
    await copyFile(product, path);
    const { code, output } = await startOutcome({
      DATABASE_URL: `file:${path}`,
      WEB_CONCURRENCY: "2",
      NODE_OPTIONS: `--require ${preload}`,
      REPLACE_DATABASE_IN_WORKER: "true",
    });
    expect(code, output).toBe(EX_CONFIG);
    expect(output).toMatch(/: does not read as a SQLite database/);
    expect(output).toMatch(/an HTTP worker exited while starting \(code 78, signal null\)/);
  }, 90_000);
});
