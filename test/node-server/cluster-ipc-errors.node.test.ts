import { deserialize, serialize } from "node:v8";
import { createClient } from "@libsql/client";
import { DrizzleQueryError } from "drizzle-orm";
import NativeDatabase from "libsql";
import { afterAll, describe, expect, it, vi } from "vitest";
import { isChunkConflict } from "../../src/ingest/trigger-refusals";
import { ClusterChannel, type PrimaryAsks, type WorkerAsks } from "../../src/node/cluster/ipc";
import { plainError } from "../../src/node/cluster/ipc-error";
import { scratchFiles } from "../node/ingest-fixtures";
import { startRefusingDatabaseHost } from "../node/refusing-database-host";
import { appThrowing } from "../support/app-throwing";

/*
 * An error of the primary's (its queue store's write, for a worker's ingest batch) as the worker
 * rebuilds it from the cluster's IPC. The worker's error handler must answer it as the one-process
 * server answers the error itself: it classifies by the error's code, status and cause chain, and
 * the channel once carried the name and message alone.
 */

const scratch = scratchFiles();

/** A worker's channel and a primary's, back to back through V8's serializer (node:cluster's "advanced"). */
function channelsThrowing(error: unknown) {
  const wire = (to: () => { receive: (message: unknown) => void }) => (message: unknown) =>
    setImmediate(() => to().receive(deserialize(serialize(message))));
  const primary: ClusterChannel<PrimaryAsks, WorkerAsks> = new ClusterChannel(
    wire(() => worker),
    async () => {
      throw error;
    },
  );
  const worker: ClusterChannel<WorkerAsks, PrimaryAsks> = new ClusterChannel(
    wire(() => primary),
    async () => null,
  );
  return worker;
}

/** What the worker's ask rejects with. */
async function crossed(error: unknown): Promise<Error> {
  return channelsThrowing(error)
    .ask({ kind: "ingest", messages: [] })
    .then(
      () => {
        throw new Error("answered");
      },
      (rejected: Error) => rejected,
    );
}

/** The API's answer to a request that failed with `error`: status, Retry-After, problem type. */
async function answerTo(error: Error) {
  const logged = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    const response = await appThrowing(error).request("/boom");
    const { type } = (await response.json()) as { type: string };
    return { status: response.status, retryAfter: response.headers.get("retry-after"), type };
  } finally {
    logged.mockRestore();
  }
}

/** The error @libsql/client really throws when a remote database (Turso, sqld) answers `status`. */
async function remoteDatabaseError(status: number): Promise<Error> {
  const host = await startRefusingDatabaseHost(status, "overloaded");
  const client = createClient({ url: host.url });
  try {
    await client.execute("SELECT 1");
    throw new Error("answered");
  } catch (error) {
    return error as Error;
  } finally {
    client.close();
    await host.close();
  }
}

/** The native driver's error for a trigger's refusal, wrapped as drizzle wraps a lone statement's. */
function wrappedTriggerRefusal(): Error {
  const database = new NativeDatabase(scratch("trigger.db"));
  afterAll(() => database.close());
  database.exec(`CREATE TABLE chunks (seq INTEGER);
    CREATE TRIGGER refuse BEFORE INSERT ON chunks
    BEGIN SELECT RAISE(ABORT, 'INGEST_CHUNK_CONFLICT: chunk 1 differs'); END;`);
  try {
    database.prepare("INSERT INTO chunks (seq) VALUES (?)").run([1]);
  } catch (driver) {
    return new DrizzleQueryError("insert into chunks (seq) values (?)", [1], driver as Error);
  }
  throw new Error("not refused");
}

describe("an error crossing the cluster's IPC", () => {
  it("is answered as in one process when a remote database answers 503 (Retry-After, not a 500)", async () => {
    const original = await remoteDatabaseError(503);
    const oneProcess = await answerTo(original);
    expect(oneProcess).toMatchObject({ status: 503, retryAfter: "1" });
    expect(await answerTo(await crossed(original))).toEqual(oneProcess);
  });

  it("keeps the driver's code and the cause chain, so a trigger's refusal is still one", async () => {
    const original = wrappedTriggerRefusal();
    expect(isChunkConflict(original)).toBe(true);
    const rebuilt = await crossed(original);
    expect(isChunkConflict(rebuilt)).toBe(true);
    const cause = rebuilt.cause as Error & { code?: string; rawCode?: number };
    expect(cause).toMatchObject({
      name: "SqliteError",
      code: "SQLITE_CONSTRAINT_TRIGGER",
      message: "INGEST_CHUNK_CONFLICT: chunk 1 differs",
    });
    // drizzle's own error quotes the values sent (an ingest's rows): they do not cross.
    expect(rebuilt).toBeInstanceOf(DrizzleQueryError);
    expect(original.message).toContain("params: 1");
    expect(JSON.stringify(plainError(original))).not.toContain("params: 1");
    expect(await answerTo(rebuilt)).toEqual(await answerTo(original));
  });

  it("still replies for a thrown value that cannot be read, and ends the chain at a cause that is no Error", async () => {
    const unreadable = new Proxy(new Error("x"), {
      get() {
        throw new Error("unreadable");
      },
    });
    expect(await crossed(unreadable)).toMatchObject({ message: "an error that could not be read" });
    const busy = Object.assign(new Error("database is locked", { cause: unreadable }), {
      code: "SQLITE_BUSY",
    });
    expect(await crossed(busy)).toMatchObject({
      code: "SQLITE_BUSY",
      message: "database is locked",
    });
    const withPlainCause = new Error("outer", {
      cause: { message: "SQLITE_BUSY: database is locked" },
    });
    expect((await crossed(withPlainCause)).cause).toBeUndefined();
  });

  it("carries no stack, and a cause chain only so deep", async () => {
    const primaryOnly = "at primaryOnlyFrame (/srv/primary.ts:1:1)";
    let deep: Error = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    for (let depth = 0; depth < 50; depth++) deep = new Error(`wrapper ${depth}`, { cause: deep });
    const cyclic = new Error("cyclic");
    cyclic.cause = cyclic;
    for (const error of [deep, cyclic]) {
      for (let cause: unknown = error, n = 0; cause instanceof Error && n < 60; n++) {
        cause.stack = `${cause.name}: ${cause.message}\n    ${primaryOnly}`;
        cause = cause.cause;
      }
      const rebuilt = await crossed(error);
      let links = 0;
      for (let cause: unknown = rebuilt; cause instanceof Error; cause = cause.cause) {
        expect(cause.stack ?? "").not.toContain(primaryOnly);
        links++;
      }
      expect(links).toBeLessThanOrEqual(10);
    }
  });
});
