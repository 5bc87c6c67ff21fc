/*
 * wrk (Debian's package `wrk`): the load generator the performance issue measured with. It is C
 * and costs a fraction of autocannon's CPU per request; on 2 cores that decides whether the
 * server's second worker gets a core or shares it with the load.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PreparedRequest {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

export interface WrkRun {
  url: string;
  connections: number;
  /** wrk threads; at most `connections`. */
  threads: number;
  durationSeconds: number;
  /** The requests to send: drawn at random, or each once in turn when `inTurn` (unique bodies). */
  requests: PreparedRequest[];
  inTurn?: boolean;
  /** Count every response's status code: a Lua call per response, so only where codes vary. */
  countStatuses?: boolean;
  /** Headers every request carries (e.g. `Authorization` for a server with API keys). */
  headers?: Record<string, string>;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  latencyMeanMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Per code when counted; otherwise "2xx/3xx" and "4xx/5xx" from wrk's own tally. */
  statusCodes: Record<string, number>;
  /** Connect, read, write and timeout errors. */
  errors: number;
}

export function wrkInstalled(): boolean {
  const probe = spawnSync("wrk", ["--version"], { encoding: "utf8" });
  return probe.error === undefined && `${probe.stdout}${probe.stderr}`.includes("wrk");
}

const RESULT_MARK = "WRK_RESULT ";

export async function runWrk(run: WrkRun): Promise<WrkResult> {
  const folder = await mkdtemp(join(tmpdir(), "credit-wrk-"));
  try {
    const requestsFile = join(folder, "requests.tsv");
    const scriptFile = join(folder, "load.lua");
    await writeFile(requestsFile, requestLines(run.requests));
    const threads = Math.max(1, Math.min(run.threads, run.connections));
    await writeFile(scriptFile, luaScript(requestsFile, run, threads));
    const args = [
      `-t${threads}`,
      `-c${run.connections}`,
      `-d${run.durationSeconds}s`,
      "-s",
      scriptFile,
      run.url,
    ];
    const output = await collect("wrk", args);
    return parseResult(output, run.countStatuses === true);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** One request a line: method, path and body separated by tabs (JSON bodies hold no raw tab). */
function requestLines(requests: PreparedRequest[]): string {
  if (requests.length === 0) throw new Error("wrk: no requests to send");
  return `${requests.map((r) => `${r.method}\t${r.path}\t${r.body ?? ""}`).join("\n")}\n`;
}

/**
 * Each thread reads the requests once and formats them in advance, so a request costs wrk one
 * table lookup; the counts of status codes and the summary come back as one marked JSON line.
 */
function luaScript(requestsFile: string, run: WrkRun, threads: number): string {
  const pick = run.inTurn
    ? "next_index = next_index % #formatted + 1\n  return formatted[next_index]"
    : "return formatted[math.random(#formatted)]";
  const countStatuses = run.countStatuses
    ? "function response(status)\n  statuses[status] = (statuses[status] or 0) + 1\nend\n"
    : "";
  return `local threads = {}
local thread_count = 0
statuses = {}
local formatted = {}
local next_index = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 100 + thread_number)
  local number = 0
  for line in io.lines(${JSON.stringify(requestsFile)}) do
    number = number + 1
    local method, path, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t(.*)$")
    local headers = {${luaHeaders(run.headers ?? {})}}
    if body == "" then body = nil else headers["Content-Type"] = "application/json" end
    -- In turn: thread n of t sends lines n, n + t, n + 2t, ... so no two threads repeat one.
    if ${run.inTurn ? "true" : "false"} == false or number % ${threads} == thread_number - 1 then
      table.insert(formatted, wrk.format(method, path, headers, body))
    end
  end
end

function request()
  ${pick}
end

${countStatuses}
function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses") or {}) do
      totals[code] = (totals[code] or 0) + count
    end
  end
  local codes = {}
  for code, count in pairs(totals) do
    codes[#codes + 1] = string.format('"%d":%d', code, count)
  end
  local e = summary.errors
  io.write(string.format(
    '${RESULT_MARK}{"requests":%d,"duration_us":%d,"mean_us":%.1f,"p50_us":%d,"p99_us":%d,"non_2xx_3xx":%d,"errors":%d,"codes":{%s}}\\n',
    summary.requests, summary.duration, latency.mean, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout,
    table.concat(codes, ",")))
end
`;
}

/** A Lua table's fields for the headers: ASCII names and values, quoted as JSON strings are. */
function luaHeaders(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => ` [${JSON.stringify(name)}] = ${JSON.stringify(value)},`)
    .join("");
}

interface MarkedResult {
  requests: number;
  duration_us: number;
  mean_us: number;
  p50_us: number;
  p99_us: number;
  non_2xx_3xx: number;
  errors: number;
  codes: Record<string, number>;
}

export function parseResult(output: string, counted: boolean): WrkResult {
  const line = output.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (line === undefined) throw new Error(`wrk printed no result:\n${output.slice(-2000)}`);
  const marked = JSON.parse(line.slice(RESULT_MARK.length)) as MarkedResult;
  const statusCodes = counted
    ? marked.codes
    : { "2xx/3xx": marked.requests - marked.non_2xx_3xx, "4xx/5xx": marked.non_2xx_3xx };
  return {
    requests: marked.requests,
    seconds: marked.duration_us / 1e6,
    latencyMeanMs: marked.mean_us / 1000,
    latencyP50Ms: marked.p50_us / 1000,
    latencyP99Ms: marked.p99_us / 1000,
    statusCodes: Object.fromEntries(Object.entries(statusCodes).filter(([, n]) => n > 0)),
    errors: marked.errors,
  };
}

function collect(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`wrk exited ${code}:\n${output}`)),
    );
  });
}
