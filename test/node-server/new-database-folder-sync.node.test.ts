import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { call, registration } from "../node/cluster-process";
import { scratchFiles } from "../node/ingest-fixtures";
import { runScript } from "../node/run-script";
import { startServeProcess } from "../node/serve-process";

/*
 * A `file:` database the start creates, and the folders it creates for it (`.data/` on a fresh
 * clone), are new folder entries, durable only once the folder holding each is synced. SQLite
 * syncs the file's own folder (for its first journal), never one above it: a power cut soon after
 * the first start could lose `.data/` and every write answered into it. A power cut cannot be
 * simulated: the folders' fsyncs after the open are what is checked (test/node/record-syncs.cjs
 * logs every fsync made through node:fs, which SQLite's own are not).
 */

const scratch = scratchFiles();
const RECORD_SYNCS = fileURLToPath(new URL("../node/record-syncs.cjs", import.meta.url));

/** Runs `start` with the recorder preloaded; returns the lines it logged. */
async function recordedSyncs(name: string, start: (env: Record<string, string>) => Promise<void>) {
  const log = scratch(`${name}.log`);
  await writeFile(log, "");
  await start({ NODE_OPTIONS: `--require "${RECORD_SYNCS}"`, RECORD_SYNCS_LOG: log });
  return (await readFile(log, "utf8")).split("\n").filter(Boolean);
}

async function serve(database: string, concurrency: string) {
  return recordedSyncs(`serve-${concurrency}-${Date.now()}`, async (env) => {
    const server = await startServeProcess({
      DATABASE_URL: `file:${database}`,
      SEED: "false",
      WEB_CONCURRENCY: concurrency,
      ...env,
    });
    await server.stop();
  });
}

describe("a new database file's folder", () => {
  it.each(["1", "2"])(
    "and the folders made for it are synced when the server (WEB_CONCURRENCY=%s) creates the file, not when it exists",
    async (concurrency) => {
      // Two folders the start creates (as `.data/` on a fresh clone), in the scratch folder.
      const outer = scratch(`server-${concurrency}`);
      const database = `${outer}/data/credit.db`;
      const first = await serve(database, concurrency);
      const folders = [`${outer}/data`, outer, dirname(outer)].map((folder) => `fsync ${folder}`);
      expect(
        first.filter((line) => folders.includes(line)),
        first.join("\n"),
      ).toEqual(folders);
      const again = await serve(database, concurrency);
      expect(
        again.filter((line) => folders.includes(line)),
        again.join("\n"),
      ).toEqual([]);
    },
    120_000,
  );

  it("is synced when npm run db:migrate:libsql creates the file", async () => {
    const folder = scratch("migrate");
    await mkdir(folder);
    const database = `${folder}/credit.db`;
    let output = "";
    const lines = await recordedSyncs("migrate", async (env) => {
      const result = await runScript("scripts/migrate-libsql.ts", [], {
        DATABASE_URL: `file:${database}`,
        ...env,
      });
      output = result.output;
      expect(result.code, output).toBe(0);
    });
    // The folder's own entry too: an earlier start may have made it and failed before its sync.
    expect(lines, output).toEqual([`fsync ${folder}`, `fsync ${dirname(folder)}`]);
  }, 60_000);

  it("that its file system refuses to sync (a network or FUSE mount) is named in a warning, and the server starts", async () => {
    const folder = scratch("refused");
    const database = `${folder}/data/credit.db`;
    let output = "";
    const lines = await recordedSyncs("refused", async (env) => {
      const server = await startServeProcess({
        DATABASE_URL: `file:${database}`,
        SEED: "false",
        WEB_CONCURRENCY: "1",
        RECORD_SYNCS_REFUSE_FOLDERS: "EINVAL",
        ...env,
      });
      const registered = await call(server.url, "/register", {
        method: "POST",
        body: registration(50_000),
      });
      expect(registered.status).toBe(201);
      await server.stop();
      output = server.output();
    });
    expect(lines, output).toContain(`refused ${folder}/data`);
    expect(output).toMatch(/could not be synced to disk.*"folder":"[^"]*\/data".*"code":"EINVAL"/);
  }, 60_000);
});
