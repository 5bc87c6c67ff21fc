import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openLibsqlDatabase } from "../../src/node/database";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { scratchFiles } from "../node/ingest-fixtures";
import { startOutcome, startServeProcess } from "../node/serve-process";

/*
 * DATABASE_SYNCHRONOUS as the server's connections read it back. With `synchronous = NORMAL` in
 * WAL mode a commit is answered before the WAL reaches the disk, so a power cut or kernel crash
 * could lose payments already answered 201; FULL syncs it first. A power cut cannot be simulated
 * here: what is checked is that every connection that commits runs the setting.
 */

const scratch = scratchFiles();
/** Records every `PRAGMA synchronous = …` the server's processes and threads run. */
const RECORD = fileURLToPath(new URL("../node/record-synchronous.cjs", import.meta.url));
const FULL = 2;
const NORMAL = 1;

/** `PRAGMA synchronous` on the migrations' client and on the app's own connection. */
async function synchronousOfServer(env: Record<string, string>, name: string) {
  const runtime = await openRuntime(
    settingsFromEnv({ DATABASE_URL: `file:${scratch(name)}`, ...env }),
    { confirmWritable: true },
  );
  try {
    const client = (await runtime.client.execute("PRAGMA synchronous")).rows[0]?.[0];
    // This driver returns a raw query's rows as arrays (native-libsql.ts).
    const [app] = (await runtime.db.all(sql`PRAGMA synchronous`)) as unknown[][];
    return { client, app: app?.[0] };
  } finally {
    await runtime.close();
  }
}

describe("DATABASE_SYNCHRONOUS", () => {
  it("is full unless set: the server's connections sync every commit", async () => {
    expect(await synchronousOfServer({}, "default.db")).toEqual({ client: FULL, app: FULL });
    expect(settingsFromEnv({}).databaseSynchronous).toBe("full");
    // A cluster worker's connection: opened with the settings' value, full when unset.
    const worker = await openLibsqlDatabase(`file:${scratch("default.db")}`);
    try {
      const [row] = (await worker.db.all(sql`PRAGMA synchronous`)) as unknown[][];
      expect(row?.[0]).toBe(FULL);
    } finally {
      worker.close();
    }
  });

  it("is normal on every connection when set so, in any case and with blanks", async () => {
    expect(settingsFromEnv({ DATABASE_SYNCHRONOUS: " Normal " }).databaseSynchronous).toBe(
      "normal",
    );
    expect(await synchronousOfServer({ DATABASE_SYNCHRONOUS: "normal" }, "normal.db")).toEqual({
      client: NORMAL,
      app: NORMAL,
    });
  });

  // The primary (its queue's and the migrations' connections), its WAL checkpointer thread and
  // each HTTP worker of a real `npm run serve` cluster, which the tests above cannot reach.
  it.each([
    ["unset", {}, "PRAGMA synchronous = FULL"],
    ["normal", { DATABASE_SYNCHRONOUS: "normal" }, "PRAGMA synchronous = NORMAL"],
  ])(
    "is run by every process and thread of a cluster (%s)",
    async (name, env, statement) => {
      const log = scratch(`synchronous-${name}.log`);
      await writeFile(log, "");
      const server = await startServeProcess({
        DATABASE_URL: `file:${scratch(`cluster-${name}.db`)}`,
        SEED: "false",
        WEB_CONCURRENCY: "2",
        NODE_OPTIONS: `--require "${RECORD}"`,
        RECORD_SYNCHRONOUS_LOG: log,
        ...env,
      });
      try {
        const lines = () => readFile(log, "utf8").then((text) => text.split("\n").filter(Boolean));
        // The checkpointer opens its connection at its first tick, the workers theirs as they start.
        const deadline = Date.now() + 20_000;
        const who = (all: string[]) =>
          new Set(all.map((line) => line.split(" ").slice(0, 2).join(" ")));
        while (Date.now() < deadline) {
          const all = await lines();
          const roles = [...who(all)].map((origin) => origin.split(" ")[0]);
          if (roles.filter((role) => role === "worker").length >= 2 && roles.includes("thread"))
            break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const all = await lines();
        const roles = [...who(all)].map((origin) => origin.split(" ")[0]).sort();
        expect(roles, all.join("\n")).toEqual(["primary", "thread", "worker", "worker"]);
        expect(new Set(all.map((line) => line.split(" ").slice(2).join(" ")))).toEqual(
          new Set([statement]),
        );
      } finally {
        await server.stop();
      }
    },
    90_000,
  );

  it("refuses any other value at start with one line naming it", async () => {
    for (const bad of ["off", "2", "extra", "fulll"]) {
      expect(() => settingsFromEnv({ DATABASE_SYNCHRONOUS: bad }), bad).toThrow(
        /^DATABASE_SYNCHRONOUS must be full \(every commit synced to disk, the default\) or normal$/,
      );
    }
    const { code, output } = await startOutcome({
      DATABASE_URL: `file:${scratch("refused.db")}`,
      DATABASE_SYNCHRONOUS: "off",
      WEB_CONCURRENCY: "1",
    });
    expect(code, output).toBe(78);
    expect(output.trim()).toBe(
      "DATABASE_SYNCHRONOUS must be full (every commit synced to disk, the default) or normal",
    );
  }, 90_000);
});
