/*
 * The terminal an operator runs `npm run ingest` in closes (a laptop's SSH session drops, the tab
 * is closed): the script gets SIGHUP. It ended at once, with no report and no line, though the
 * report is written however the run ends; now it ends as Ctrl-C does.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scratchFiles } from "../node/ingest-fixtures";

const pathOf = scratchFiles();

describe("npm run ingest when its terminal closes", () => {
  it("writes its report on SIGHUP and exits 130, as on Ctrl-C", async () => {
    let signal: (() => void) | undefined;
    // The server never answers; the script is sent SIGHUP once its first request arrives.
    const server = createServer(() => signal?.());
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const reportFile = pathOf("hangup.json");
    const script = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/ingest.ts",
        ...["--url", `http://127.0.0.1:${port}`, "--token", "t", "--report", reportFile],
      ],
      { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] },
    );
    signal = () => script.kill("SIGHUP");
    let stderr = "";
    script.stdout.resume();
    script.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    try {
      const [code] = (await once(script, "exit")) as [number | null];
      expect(code, stderr).toBe(130);
    } finally {
      script.kill("SIGKILL");
      server.closeAllConnections();
      server.close();
    }
    expect(stderr).toMatch(/ingest failed: interrupted \(SIGHUP\)/);
    const report = JSON.parse(await readFile(reportFile, "utf8"));
    expect(report).toMatchObject({
      complete: false,
      error: expect.stringMatching(/^interrupted \(SIGHUP\)/),
    });
  }, 60_000);
});
