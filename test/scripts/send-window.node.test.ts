import { describe, expect, it } from "vitest";
import { SendWindow } from "../../scripts/lib/send-window";

/** A send that finishes when the test says so. */
function controllable() {
  let finish: (error?: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  return { send: () => done, finish };
}

describe("SendWindow", () => {
  it("keeps at most `limit` sends in flight and waits for them all", async () => {
    const window = new SendWindow(2);
    const sends = [controllable(), controllable(), controllable()];
    const started: number[] = [];
    const start = (index: number) => () => {
      started.push(index);
      return sends[index]?.send() ?? Promise.resolve();
    };
    await window.add(start(0));
    await window.add(start(1));
    const third = window.add(start(2));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toEqual([0, 1]);
    sends[1]?.finish();
    await third;
    expect(started).toEqual([0, 1, 2]);
    let drained = false;
    const drain = window.drain().then(() => {
      drained = true;
    });
    sends[0]?.finish();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(drained).toBe(false);
    sends[2]?.finish();
    await drain;
    expect(drained).toBe(true);
  });

  it("rethrows the first failure from the next add, and from drain", async () => {
    const window = new SendWindow(2);
    await window.add(() => Promise.reject(new Error("first")));
    await window.add(() => Promise.reject(new Error("second"))).catch(() => undefined);
    await expect(window.drain()).rejects.toThrow("first");
    await expect(window.add(() => Promise.resolve())).rejects.toThrow("first");
  });
});
