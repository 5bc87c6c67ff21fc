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
 * line (`… loans read 0, sent 0, landed 0retrying POST /ingest/batches …`), and a shorter line
 * drawn over a longer one left its last characters (`sent 9, landed 99`), and a line wider than
 * the terminal wrapped and left its first rows at each drawing. The real script in a
 * real pseudo-terminal (util-linux `script`), against the Node server in-process over a real
 * libSQL file, through a proxy that answers the first chunk 503 as a busy gateway does; what the
 * terminal shows is read from its output by the few controls the script writes.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "ingest-progress-test-token";
const BUSY = "The gateway is busy; retry the request.";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);

/**
 * Forwards to the server, but answers the first POST of a chunk 503 (Retry-After: 0), or, while
 * `holdPosts` is set, holds every POST unanswered and calls it with each. While `slowGateway` is
 * set, it answers each job report 600 ms late (every poll then draws the progress line) and the
 * POST it names 413, as a gateway with a smaller body limit does: the run fails there.
 */
let proxy: Server;
let proxyUrl = "";
let holdPosts: (() => void) | null = null;
let slowGateway: { posts: number; refusePost: number } | null = null;
beforeAll(async () => {
  let refused = false;
  proxy = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (slowGateway && request.method === "POST") {
      slowGateway.posts += 1;
      if (slowGateway.posts === slowGateway.refusePost) {
        response.writeHead(413, { "content-type": "application/problem+json" });
        response.end(JSON.stringify({ status: 413, detail: "Request body too large." }));
        return;
      }
    } else if (slowGateway && request.url?.startsWith("/ingest/jobs/")) {
      await new Promise((resolve) => setTimeout(resolve, 600));
    } else if (request.method === "POST" && holdPosts) {
      holdPosts();
      return;
    }
    if (request.method === "POST" && !refused && !slowGateway) {
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

/**
 * The rows a terminal `columns` wide shows for `output`: `\r` goes back to the start of the row,
 * `\n` down, `ESC [ K` erases the rest, and a character past the last column goes on a new row.
 */
function screen(output: string, columns = Number.POSITIVE_INFINITY): string[] {
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
    } else if (column >= columns) {
      lines.push(char);
      column = 1;
    } else {
      const line = lines[current] ?? "";
      lines[current] = line.slice(0, column).padEnd(column) + char + line.slice(column + 1);
      column++;
    }
  }
  return lines;
}

const quoted = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * The real script in a pseudo-terminal, the terminal's input open (`columns` wide, or of unknown
 * width: `script` without a terminal of its own makes one of 0 columns): its exit code, and
 * everything the terminal received.
 */
function inTerminal(args: string[], columns?: number) {
  const command = [process.execPath, "--import", "tsx", "scripts/ingest.ts", ...args]
    .map(quoted)
    .join(" ");
  const sized = columns === undefined ? command : `stty cols ${columns} && ${command}`;
  const child = spawn("script", ["-qfec", sized, "/dev/null"], {
    cwd: ROOT,
    env: { ...process.env, INGEST_TOKEN: TOKEN },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exit = once(child, "exit").then(([code]) => ({ code: code as number | null, output }));
  return { child, exit };
}

describe("npm run ingest in a terminal", () => {
  it("prints a retry on its own line, not after the progress line", async () => {
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans.xlsx") },
      { customers: [customerValues(1), customerValues(2)], loans: [loanValues(1, 10)] },
    );
    const { child, exit } = inTerminal([
      ...["--url", proxyUrl, "--customers", files.customers, "--loans", files.loans],
      ...["--report", scratch("report.json")],
    ]);
    child.stdin.end();
    const { code, output } = await exit;
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

  it("ends its progress line before the interrupted run's last line (Ctrl-C)", async () => {
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers-2.xlsx"), loans: scratch("loans-2.xlsx") },
      { customers: [customerValues(3)], loans: [loanValues(3, 30)] },
    );
    const held = new Promise<void>((resolve) => (holdPosts = resolve));
    const { child, exit } = inTerminal([
      ...["--url", proxyUrl, "--customers", files.customers, "--loans", files.loans],
      ...["--report", scratch("report-2.json")],
    ]);
    try {
      await held;
      // The operator's Ctrl-C: the terminal sends SIGINT to the script.
      child.stdin.write("\x03");
      const { code, output } = await exit;
      expect({ code, output }).toMatchObject({ code: 130 });
      const shown = screen(output);
      const last = shown.findIndex((line) =>
        line.startsWith("ingest failed: interrupted (SIGINT)"),
      );
      expect(last, JSON.stringify(shown)).toBeGreaterThan(0);
      // The progress line, ended, above it; nothing drawn again after it.
      expect(shown[last - 1]).toMatch(/^customers read 1, sent 0, landed 0 \| loans read 0/);
      expect(shown.slice(last + 1).filter((line) => line.includes("read"))).toEqual([]);
    } finally {
      holdPosts = null;
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("clears what a longer progress line left when a shorter one is drawn over it", async () => {
    // A stored loan of customer 50 holds Loan ID 5000: the server defers the row that brings it
    // for customer 51 (docs/ingestion.md#loan-ids), and the progress counts it unsent again.
    await ingest(
      await writeLenderWorkbooks(
        { customers: scratch("customers-3a.xlsx"), loans: scratch("loans-3a.xlsx") },
        { customers: [customerValues(50)], loans: [loanValues(50, 5_000)] },
      ),
    );
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers-3.xlsx"), loans: scratch("loans-3.xlsx") },
      {
        customers: [customerValues(51)],
        loans: [...Array.from({ length: 9 }, (_, index) => loanValues(51, 5_001 + index))].concat([
          loanValues(51, 5_000),
        ]),
      },
    );
    // POSTs: the customer chunk, the loan chunk, the deferred row sent again (refused).
    slowGateway = { posts: 0, refusePost: 3 };
    try {
      const { child, exit } = inTerminal([
        ...["--url", proxyUrl, "--customers", files.customers, "--loans", files.loans],
        ...["--report", scratch("report-3.json")],
      ]);
      child.stdin.end();
      const { code, output } = await exit;
      expect({ code, output }).toMatchObject({ code: 1 });
      // Drawn with the deferred row sent, then, the run failing, ended one character shorter.
      expect(output).toContain("loans read 10, sent 10, landed 9");
      const shown = screen(output);
      const progress = shown.filter((line) => line.startsWith("customers read"));
      expect(progress, JSON.stringify(shown)).toEqual([
        "customers read 1, sent 1, landed 1 | loans read 10, sent 9, landed 9",
      ]);
      expect(shown.some((line) => line.startsWith("ingest failed: POST "))).toBe(true);
    } finally {
      slowGateway = null;
    }
  }, 60_000);

  it.each([
    {
      columns: 60,
      customer: 60,
      drawn: /^customers \d+\/\d+\/\d+, loans \d+\/\d+\/\d+ \(read\/sent\/landed\)$/,
    },
    // Cut to 29 characters: 48 or more in the compact form.
    { columns: 30, customer: 61, drawn: /^customers \d+\/\d+\/\d+, loans [\d/]+( \(?[a-z/]*)?$/ },
  ])(
    "draws a live line that fits a terminal $columns columns wide",
    async ({ columns, customer, drawn }) => {
      // The full line is 66 characters or more: wrapped, each drawing went back (`\r`) only to the
      // start of its last row and left the rows above it on the screen.
      const files = await writeLenderWorkbooks(
        {
          customers: scratch(`customers-${columns}.xlsx`),
          loans: scratch(`loans-${columns}.xlsx`),
        },
        {
          customers: [customerValues(customer)],
          loans: Array.from({ length: 10 }, (_, index) =>
            loanValues(customer, customer * 100 + index),
          ),
        },
      );
      // Job reports answered late: every poll draws the line again.
      slowGateway = { posts: 0, refusePost: 0 };
      try {
        const { child, exit } = inTerminal(
          [
            ...["--url", proxyUrl, "--customers", files.customers, "--loans", files.loans],
            ...["--report", scratch(`report-${columns}.json`)],
          ],
          columns,
        );
        child.stdin.end();
        const { code, output } = await exit;
        expect({ code, output }).toMatchObject({ code: 0 });
        // On the screen: the last line only, in full (wrapped), nothing left of the live ones.
        const final = `customers read 1, sent 1, landed 1 | loans read 10, sent 10, landed 10`;
        const shown = screen(output, columns);
        const first = shown.findIndex((row) => row.startsWith("customers"));
        const rows = Math.ceil(final.length / columns);
        expect(shown.slice(first, first + rows).join(""), JSON.stringify(shown)).toBe(final);
        expect(shown.filter((row) => /^customers |loans \d+\/|read\/sent/.test(row))).toEqual([
          shown[first],
        ]);
        // The live drawings (no line end after them): the compact form, cut to 29 if it is wider.
        const pieces = output.split("\x1b[K");
        const live = pieces
          .slice(0, -1)
          .filter((_, index) => !/^\r?\n/.test(pieces[index + 1] ?? ""))
          .map((piece) => piece.slice(piece.lastIndexOf("\r") + 1))
          .filter((line) => line !== "");
        expect(live.length, JSON.stringify(output)).toBeGreaterThanOrEqual(2);
        for (const line of live) {
          expect(line).toMatch(drawn);
          expect(line?.length).toBeLessThan(columns);
          if (columns === 30) expect(line?.length).toBe(29);
        }
      } finally {
        slowGateway = null;
      }
    },
    60_000,
  );
});
