/*
 * The Node server (`npm run serve`'s startServer) on a throwaway libSQL file, in the shape the
 * browser suite starts a local Worker in: for the tests of what the console meets on Node. Its
 * `databaseUrl` lets a test write rows straight into that file, as an older release left them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalWorker } from "../../../scripts/lib/local-worker";
import { startServer } from "../../../src/node/server";
import { settingsFromEnv } from "../../../src/node/settings";

export async function startNodeServer(): Promise<LocalWorker & { databaseUrl: string }> {
  const directory = await mkdtemp(join(tmpdir(), "browser-node-server-"));
  const databaseUrl = `file:${join(directory, "credit.db")}`;
  const server = await startServer(
    settingsFromEnv({ PORT: "0", DATABASE_URL: databaseUrl, AS_OF_DATE: "2025-06-15" }),
  );
  return {
    url: server.url,
    databaseUrl,
    token: "",
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
