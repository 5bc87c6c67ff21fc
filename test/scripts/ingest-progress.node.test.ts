import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * `npm run ingest` in a terminal, as an operator runs it on a laptop: its progress is one line
 * drawn again in place (`\r`, no line end), and a retry's line was written after it, on the same
 * line (`… loans read 0, sent 0, landed 0retrying POST /ingest/batches …`). The real script in a
 * real pseudo-terminal (util-linux `script`), against the Node server in-process over a real
 * libSQL file, through a proxy that answers the first chunk 503 as a busy gateway does; what the
 * terminal shows is read from its output by the few controls the script writes.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "ingest-progress-test-token";
const BUSY = "The gateway is busy; retry the request.";
const scratch = scratchFiles();
const { url: serverUrl } = ingestServerPerFile(TOKEN, scratch);

/** Forwards to the server, but answers the first POST of a chunk 503 (Retry-After: 0). */
let proxy: Server;
let proxyUrl = "";
beforeAll(async () => {
  let refused = false;
  proxy = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (request.method === "POST" && !refused) {
      refused = true;
      response.writeHead(503, { "content-type": "application/problem+json", "retry-after": "0" });
      response.end(JSON.stringify({ status: 503, detail: BUSY }));
      return;
    }
    const forwarded = await fetch(new URL(request.url ?? "/", serverUrl()), {
      method: request.method,
      headers: {
        authorization: request.headers.authorization ?? "",
        "content-type": request.headers["content-type"] ?? "application/json",
      },
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    response.writeHead(forwarded.status, {
      "content-type": forwarded.headers.get("content-type") ?? "application/json",
    });
    response.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
});

/** The lines a terminal shows for `output`: `\r` goes back, `\n` down, `ESC [ K` erases the rest. */
function screen(output: string): string[] {
  const lines: string[] = [""];
  let column = 0;
  for (let index = 0; index < output.length; index++) {
    const char = output[index] ?? "";
    const current = lines.length - 1;
    if (char === "\r") {
      column = 0;
    } else if (char === "\n") {
      lines.push("");
      column = 0;
    } else if (char === "\x1b") {
      // ESC [ parameters letter: only K (erase to the line's end) changes what is shown here.
      const sequence = /^\[[0-9;?]*([A-Za-z])/.exec(output.slice(index + 1));
      if (sequence?.[1] === "K") lines[current] = (lines[current] ?? "").slice(0, column);
      index += sequence?.[0].length ?? 0;
    } else {
      const line = lines[current] ?? "";
      lines[current] = line.slice(0, column).padEnd(column) + char + line.slice(column + 1);
      column++;
    }
  }
  return lines;
}

const quoted = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

describe("npm run ingest in a terminal", () => {
  it("prints a retry on its own line, not after the progress line", async () => {
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans.xlsx") },
      { customers: [customerValues(1), customerValues(2)], loans: [loanValues(1, 10)] },
    );
    const command = [
      process.execPath,
      "--import",
      "tsx",
      "scripts/ingest.ts",
      ...["--url", proxyUrl, "--customers", files.customers, "--loans", files.loans],
      ...["--report", scratch("report.json")],
    ]
      .map(quoted)
      .join(" ");
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: ROOT,
      env: { ...process.env, INGEST_TOKEN: TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const [code] = (await once(child, "exit")) as [number | null];
    expect({ code, output }).toMatchObject({ code: 0 });
    // The progress line was drawn in place before the chunk was sent: the terminal is exercised.
    expect(output).toMatch(/\rcustomers read \d+, sent 0, landed 0 \| loans read 0/);

    const shown = screen(output);
    expect(shown).toContain(`retrying POST /ingest/batches (attempt 1): HTTP 503: ${BUSY}`);
    expect(shown.filter((line) => line.includes("retrying") && line.includes("landed"))).toEqual(
      [],
    );
    expect(shown).toContain("  every row landed");
  }, 60_000);
});
