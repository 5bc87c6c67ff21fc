import { stat } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { call, registration, running, startCluster } from "../node/cluster-process";
import { selectFromFile as select } from "../node/file-rows";
import { scratchFiles } from "../node/ingest-fixtures";
import {
  accountForDecisions,
  accountForRows,
  brokenLimits,
  halfDoneWrites,
  type Outcome,
  unreconciledStatements,
} from "../node/ledger-checks";
import { serveProcessesPerFile } from "../node/serve-process";
import { until } from "../node/until";
import { storedUnderKey, WriteBurst } from "../node/write-burst";

/*
 * Processes die under a lender's burst of writes: ten clients register, book and pay (half of it
 * with an Idempotency-Key) while one HTTP worker is killed with kill -9, as the kernel's OOM
 * killer does, and then the whole server at once, primary and workers, as a power cut would
 * (the page cache survives: a real power cut takes it too, and only the default synchronous =
 * FULL keeps the last commits then, which database-synchronous.node.test.ts checks is set).
 * Where exactly the kills land varies run to run; what is checked holds for whatever was
 * acknowledged: after a restart on the same file, each request sent again with its key answers
 * as it was first answered (or does its work once), every acknowledged write is stored once with
 * the amounts it was answered, nothing is half done, no customer is past the limit or the 50 %
 * rule, every statement adds up, and the file is whole.
 */

const AS_OF = "2025-06-15";
const scratch = scratchFiles();
const serve = serveProcessesPerFile(startCluster, {
  // The burst is far over the default 1000 writes a minute from one address.
  RATE_LIMIT_PER_MINUTE: "1000000",
  AS_OF_DATE: AS_OF,
});

/** The processes that answered the burst's requests so far. */
function answeredBy(burst: WriteBurst): Set<number> {
  return new Set(burst.sent.flatMap(({ answer }) => (answer instanceof Error ? [] : [answer.pid])));
}

describe("npm run serve with WEB_CONCURRENCY=2, killed during bursts of writes", () => {
  it("keeps exactly what it acknowledged through kill -9 of a worker and then of the whole server", async () => {
    const database = scratch("bursts.db");
    const first = await serve(database);
    const borrowers: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { status, body } = await call(first.url, "/register", { body: registration(40_000) });
      expect(status).toBe(201);
      borrowers.push(body.customer_id as number);
    }

    const burst = new WriteBurst(first.url, borrowers);
    const clients = burst.run(10);
    await until(
      async () => burst.sent.length,
      (count) => count >= 80,
      30_000,
    );
    const survivors = answeredBy(burst);
    const victim = [...survivors][0] ?? 0;
    survivors.delete(victim);
    const killedAt = burst.sent.length;
    process.kill(victim, "SIGKILL");
    await until(
      async () => burst.sent.length,
      (count) => count >= killedAt + 100,
      30_000,
    );
    // The cluster forks the replacement by itself; the burst waits for it, so that it stays a
    // few hundred requests however long the start takes.
    burst.pause();
    await until(
      async () => (await call(first.url, "/healthz").catch(() => null))?.pid ?? victim,
      (pid) => pid > 0 && pid !== victim && !survivors.has(pid),
      60_000,
    );
    expect(await running(victim)).toBe(false);
    burst.resume();
    const resumedAt = burst.sent.length;
    await until(
      async () => burst.sent.length,
      (count) => count >= resumedAt + 60,
      30_000,
    );
    // The power cut: primary and workers at once, requests in flight.
    await first.kill();
    burst.stop();
    await clients;

    const second = await serve(database);
    // Every keyed request sent again as a client's retry would: same key, same body.
    const outcomes: Outcome[] = [];
    for (const sent of burst.sent) {
      const final = sent.key
        ? await call(second.url, sent.path, {
            body: sent.body,
            headers: { "Idempotency-Key": sent.key },
          })
        : sent.answer;
      outcomes.push({ ...sent, final });
    }
    const replayedOtherwise = outcomes.filter(storedUnderKey).flatMap((outcome) => {
      const [was, now] = [outcome.answer, outcome.final];
      if (was instanceof Error || now instanceof Error) return [];
      return was.status === now.status && JSON.stringify(was.body) === JSON.stringify(now.body)
        ? []
        : [
            `${outcome.key}: ${was.status} ${JSON.stringify(was.body)} → ${now.status} ${JSON.stringify(now.body)}`,
          ];
    });
    // Everything found wrong at once, each list naming the requests and rows at fault.
    expect({
      replayedOtherwise,
      rows: await accountForRows(database, outcomes),
      decisions: await accountForDecisions(database, outcomes),
      halfDone: await halfDoneWrites(database),
      limits: await brokenLimits(database, AS_OF),
      statements: await unreconciledStatements(second.url, database),
    }).toEqual({
      replayedOtherwise: [],
      rows: [],
      decisions: [],
      halfDone: [],
      limits: [],
      statements: [],
    });

    // The WAL the power cut left was rolled forward: the file is whole, and a clean stop folds
    // it in as usual.
    expect(await select(database, "PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    await second.stop();
    expect(await second.exited).toBe(0);
    expect((await stat(`${database}-wal`).catch(() => null))?.size ?? 0).toBe(0);

    // The kills landed mid-burst (requests went unanswered), in a mix where the rules bound.
    expect(burst.sent.filter(({ answer }) => answer instanceof Error).length).toBeGreaterThan(0);
    const statuses = new Set(
      outcomes.flatMap(({ operation, final }) =>
        final instanceof Error ? [] : [`${operation} ${final.status}`],
      ),
    );
    for (const answered of [
      "register 201",
      "create-loan 201",
      "create-loan 200",
      "make-payment 201",
    ]) {
      expect(statuses).toContain(answered);
    }
  }, 180_000);
});
