import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";

/**
 * One Node server (one process) for the tests of a file, on a new database in a scratch folder:
 * started in beforeAll, so that listing the tests starts nothing, then stopped and its folder
 * removed. `env` adds to (or replaces) `PORT=0` and the database's `DATABASE_URL`.
 */
export function serverPerFile(prefix: string, env: Record<string, string> = {}) {
  let server: RunningServer | undefined;
  let directory: string | undefined;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
    server = await startServer(
      settingsFromEnv({
        PORT: "0",
        DATABASE_URL: `file:${join(directory, "credit.db")}`,
        ...env,
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });
  return {
    get server(): RunningServer {
      if (!server) throw new Error("the server starts in beforeAll");
      return server;
    },
  };
}

/** `API_KEYS`' form of an API key: its SHA-256 digest, so that the setting holds no secret. */
export function apiKeySetting(key: string): string {
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}
