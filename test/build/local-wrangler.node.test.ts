import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { onFreshPort, type PortTry } from "../../scripts/lib/local-worker";
import { recordOutput, spawnGroup, stopGroup } from "../../scripts/lib/process-group";
import { recordingLookups } from "../node/host-lookups";

/*
 * The README's local commands need no network, as `npm start` does: `npm run dev` and
 * `npm run db:migrate:local` looked up sparrow.cloudflare.com (wrangler's telemetry) and
 * workers.cloudflare.com (Miniflare's Request.cf), and offline `npm run dev` printed
 * "Unable to fetch the `Request.cf` object!" with a stack trace; and on a machine whose temporary
 * folder held no fresh version check, wrangler's banner looked up registry.npmjs.org. Each runs here
 * through npm with a preloaded module that writes down every host name any of its Node processes
 * looks up.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const scratchDirs: string[] = [];

afterEach(async () => {
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A scratch folder, and the environment that records the host names looked up into it. */
async function recordingLookupsInScratch() {
  const dir = await mkdtemp(join(tmpdir(), "local-wrangler-"));
  scratchDirs.push(dir);
  return { dir, ...(await recordingLookups(dir)) };
}

describe("the local wrangler commands", () => {
  it("npm run db:migrate:local looks up no host", async () => {
    const { dir, env, names } = await recordingLookupsInScratch();
    const { stdout } = await run(
      "npm",
      ["run", "db:migrate:local", "--", "--persist-to", join(dir, "state")],
      { cwd: ROOT, env: { ...env, CI: "true" }, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout).toContain("0005_ingest_chunk_hash.sql");
    expect(await names()).toEqual([]);
  });

  it("npm run dev serves on the port it is given and looks up no host", async () => {
    const { dir, env, names } = await recordingLookupsInScratch();
    // A port freed just now can be taken before wrangler listens on it (its own servers bind ports
    // of the OS's choosing meanwhile): wrangler then exits naming it, and another port is tried.
    const health = await onFreshPort(async (port): Promise<PortTry<number>> => {
      const dev = spawnGroup(
        "npm",
        ["run", "dev", "--", "--port", String(port), "--persist-to", join(dir, "state")],
        { cwd: ROOT, env },
      );
      const output = recordOutput(dev);
      try {
        await output.waitFor(/Ready on http:\/\/127\.0\.0\.1:(\d+)/, 90_000);
        return { value: (await fetch(`http://127.0.0.1:${port}/healthz`)).status };
      } catch (error) {
        return { failure: `${(error as Error).message}\n${output.text()}` };
      } finally {
        await stopGroup(dev);
      }
    });
    expect(health).toBe(200);
    expect(await names()).toEqual([]);
  });
});
