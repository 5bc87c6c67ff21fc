import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { running, workerPids } from "../node/cluster-process";
import { scratchFiles } from "../node/ingest-fixtures";
import { type StartingServeProcess, spawnServeProcess } from "../node/serve-process";
import { until } from "../node/until";

/*
 * An HTTP worker that hangs while it starts (a disk stall, a native call that never returns),
 * before it listens. The primary pings only listening workers, so nothing noticed it: at the
 * cluster's start the server never became ready, and a crashed worker's replacement that hung
 * left the cluster a worker short for good. The hang is real: a preload blocks the worker's event
 * loop for ever (test/node/hang-worker-start.cjs) on the 1st and 4th worker starts.
 */

const scratch = scratchFiles();
const preload = fileURLToPath(new URL("../node/hang-worker-start.cjs", import.meta.url));
/** Above a healthy worker's start on a loaded 2-core machine (11–17 s), so only the hung die. */
const START_TIMEOUT_SECONDS = 30;
const KILLED =
  /"what":"an HTTP worker did not listen in time after its start; killing it","pid":(\d+)/g;

let server: StartingServeProcess | undefined;

afterAll(async () => {
  // SIGKILL to the group: a hung worker does not run its SIGTERM handler.
  await server?.kill();
});

/** The pids the primary killed for missing the deadline, in order. */
function killedForDeadline(output: string): number[] {
  return [...output.matchAll(KILLED)].map((match) => Number(match[1]));
}

/** The pid of the worker that hung on start `n`, once it has. */
async function hungOn(starting: StartingServeProcess, n: number): Promise<number> {
  const [, pid] = await starting.printed(
    new RegExp(`test: worker (\\d+) hangs while starting \\(start ${n}\\)`),
  );
  return Number(pid);
}

describe("npm run serve with a worker that hangs before it listens", () => {
  it("kills a worker not listening within WORKER_START_TIMEOUT_SECONDS and forks another, at the start and later", async () => {
    const hangs = scratch("hangs");
    await mkdir(hangs);
    const starting = spawnServeProcess({
      DATABASE_URL: `file:${scratch("start-deadline.db")}`,
      WEB_CONCURRENCY: "2",
      WORKER_PID_HEADER: "true",
      WORKER_START_TIMEOUT_SECONDS: String(START_TIMEOUT_SECONDS),
      NODE_OPTIONS: `--require ${preload}`,
      HANG_WORKER_DIR: hangs,
      HANG_WORKER_STARTS: "1,4",
    });
    server = starting;

    // At the start: one of the two first workers hangs. The server still becomes ready, on two
    // workers, once the hung one is killed and replaced.
    const firstHung = await hungOn(starting, 1);
    // The deadline (checked every 5 s), the backoff, then a healthy start: past printed()'s 60 s.
    const ready = await until(
      async () => /ready: API (http:\/\/\S+)/.exec(starting.output()),
      (match) => match !== null,
      (START_TIMEOUT_SECONDS + 90) * 1000,
      250,
    );
    const url = ready?.[1] ?? "";
    expect(killedForDeadline(starting.output())).toEqual([firstHung]);
    expect(starting.output()).toContain(`"start_timeout_ms":${START_TIMEOUT_SECONDS * 1000}`);
    expect(await running(firstHung)).toBe(false);
    const workers = await workerPids(url);
    expect(workers).toHaveLength(2);
    expect(workers).not.toContain(firstHung);

    // Later: a worker crashes and its replacement hangs. It is killed in turn, and the cluster is
    // back on two workers.
    const [crashed = 0, survivor] = workers;
    process.kill(crashed, "SIGKILL");
    const secondHung = await hungOn(starting, 4);
    await until(
      async () => killedForDeadline(starting.output()),
      (killed) => killed.length === 2,
      (START_TIMEOUT_SECONDS + 30) * 1000,
      250,
    );
    expect(killedForDeadline(starting.output())).toEqual([firstHung, secondHung]);
    const replacement = await until(
      async () => (await workerPids(url)).find((pid) => pid !== survivor),
      (pid) => pid !== undefined && ![crashed, firstHung, secondHung].includes(pid),
      60_000,
      250,
    );
    expect(await workerPids(url)).toEqual(expect.arrayContaining([survivor, replacement]));
    // Healthy workers were never taken for stuck ones.
    expect(killedForDeadline(starting.output())).toHaveLength(2);
  }, 300_000);
});
