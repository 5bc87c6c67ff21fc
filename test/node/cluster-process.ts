/*
 * `npm run serve` on every core, as a child process: node (no launcher in between, so its pid is
 * the cluster's primary), its own process group, a scratch database, two HTTP workers that name
 * themselves in `X-Worker-Pid`. And requests on a connection of their own, so node:cluster's
 * round robin hands them to the workers in turn.
 */
import { readFile } from "node:fs/promises";
import { type Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { type ServeProcess, startServeProcess } from "./serve-process";

export type ClusterProcess = ServeProcess;

export function startCluster(env: Record<string, string>): Promise<ClusterProcess> {
  return startServeProcess({
    WEB_CONCURRENCY: "2",
    WORKER_PID_HEADER: "true",
    AS_OF_DATE: "2025-06-15",
    ...env,
  });
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  /** The worker that answered. */
  pid: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** One request, JSON in and out: on a new connection, or on `agent`'s (kept alive, say). */
export function call<T = Record<string, unknown>>(
  url: string,
  path: string,
  options: {
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    agent?: Agent;
    /** How long without an answer before it fails (15 s). */
    timeoutMs?: number;
  } = {},
): Promise<Answer<T>> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      `${url}${path}`,
      {
        method: options.method ?? (payload === undefined ? "GET" : "POST"),
        agent: options.agent ?? false,
        headers: {
          ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
          ...options.headers,
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (data: string) => {
          text += data;
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            pid: Number(response.headers["x-worker-pid"]),
            headers: response.headers,
            body: (text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text) as T,
          }),
        );
        response.on("error", reject);
      },
    );
    sent.on("error", reject);
    // A connection handed to a worker that has just been killed is never answered.
    sent.setTimeout(options.timeoutMs ?? 15_000, () =>
      sent.destroy(new Error(`no answer to ${path}`)),
    );
    sent.end(payload);
  });
}

/** The workers' pids, from answers on new connections until `count` distinct ones answered. */
export async function workerPids(url: string, count = 2): Promise<number[]> {
  const pids = new Set<number>();
  for (let i = 0; i < 50 && pids.size < count; i++) {
    pids.add((await call(url, "/openapi.json")).pid);
  }
  return [...pids];
}

/** Whether a process is still running (a zombie waiting for its parent's reap is not). */
export async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

let phones = 0;
/** A registration with a phone number no other test uses. */
export function registration(monthlyIncome: number): Record<string, unknown> {
  phones += 1;
  return {
    first_name: "Asha",
    last_name: "Verma",
    age: 30,
    monthly_income: monthlyIncome,
    phone_number: 9_000_000_000 + (process.pid % 100_000) * 1000 + phones,
  };
}
