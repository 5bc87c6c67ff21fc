import type { Worker } from "node:cluster";
import { EventEmitter } from "node:events";
import type { Server } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { watchWorkers } from "../../src/node/cluster/primary";
import { MemoryQueue } from "../../src/node/memory-queue";
import { resetStalledConnections } from "../../src/node/stalled-connections";

/*
 * The Node server's timeouts under a system clock set back while they run (an NTP step, `date -s`,
 * a resumed VM): each is timed by the monotonic clock, so the step neither stretches nor cuts it.
 * The rate limit and the write-lock wait have their own (rate-limiter-memory, write-lock-line).
 */

const AN_HOUR_MS = 60 * 60_000;

function stepClockBack(ms: number): void {
  vi.setSystemTime(Date.now() - ms);
}

/**
 * A connection whose client has left 4 KB unread, watched by the stalled-connection sweep (stalled
 * after 1 s) on fake Date, performance and interval timers.
 */
function watchUnreadSocket() {
  vi.useFakeTimers({ toFake: ["Date", "performance", "setInterval", "clearInterval"] });
  const server = new EventEmitter() as unknown as Server;
  const socket = Object.assign(new EventEmitter(), {
    writableLength: 4096,
    resetAndDestroy: vi.fn(),
  });
  const stop = resetStalledConnections(server, 1_000);
  server.emit("connection", socket);
  return { socket, stop };
}

describe("a timeout of the Node server when the system clock is set back", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resets a connection whose client reads nothing after stalledMs, not stalledMs plus the step", async () => {
    const { socket, stop } = watchUnreadSocket();
    await vi.advanceTimersByTimeAsync(250);
    stepClockBack(AN_HOUR_MS);
    await vi.advanceTimersByTimeAsync(3_000);
    stop();
    expect(socket.resetAndDestroy).toHaveBeenCalled();
  });

  it("leaves a slow reader alone when the clock steps forward", async () => {
    const { socket, stop } = watchUnreadSocket();
    await vi.advanceTimersByTimeAsync(250);
    vi.setSystemTime(Date.now() + AN_HOUR_MS);
    await vi.advanceTimersByTimeAsync(250);
    stop();
    expect(socket.resetAndDestroy).not.toHaveBeenCalled();
  });

  it("kills a worker stuck starting once its start timeout has passed", async () => {
    vi.useFakeTimers({ toFake: ["Date", "performance", "setInterval", "clearInterval"] });
    const kill = vi.fn();
    // Never listening: the watch counts how long it has been starting.
    const worker = { isDead: () => false, process: { pid: 1, kill } } as unknown as Worker;
    const stop = watchWorkers(new Map([[worker, undefined as never]]), () => false, 20_000);
    await vi.advanceTimersByTimeAsync(5_000);
    stepClockBack(AN_HOUR_MS);
    await vi.advanceTimersByTimeAsync(20_000);
    stop();
    expect(kill).toHaveBeenCalledWith("SIGKILL");
  });

  it("gives up draining the queue after its grace period", async () => {
    vi.useFakeTimers({ toFake: ["Date", "performance", "setTimeout", "clearTimeout"] });
    const queue = new MemoryQueue(
      { name: "clock", maxBatchSize: 10, maxBatchTimeoutMs: 10, maxRetries: 0 },
      async () => undefined,
    );
    // Delayed for an hour: the queue is not idle until then.
    await queue.send({ kind: "none" }, { delaySeconds: 3_600 });
    const drained = queue.drain(1_000);
    let answer: boolean | undefined;
    drained.then((idle) => {
      answer = idle;
    });
    await vi.advanceTimersByTimeAsync(100);
    stepClockBack(AN_HOUR_MS);
    await vi.advanceTimersByTimeAsync(1_000);
    await queue.close();
    expect(answer).toBe(false);
  });
});
