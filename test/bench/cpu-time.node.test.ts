// The CPU time bench:ab and bench:ingest read per server: /proc's stat lines parsed right, a
// group's time summed, and each of its processes' apart.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { groupCpuSeconds, parseStat, processCpuSeconds } from "../../bench/lib/cpu-time";

describe("server CPU time from /proc", () => {
  it("parses a stat line whose process name holds spaces and parentheses", () => {
    const line =
      "4242 (node (worker) 2) S 4200 4100 4100 0 -1 4194560 1200 0 0 0 250 75 0 0 20 0 11 0 9000 0 0";
    expect(parseStat(line)).toEqual({ group: 4100, ticks: 325 });
  });

  it.runIf(process.platform === "linux")("counts the CPU a process of the group burns", () => {
    const own = parseStat(readFileSync("/proc/self/stat", "utf8"));
    if (!own) throw new Error("cannot read /proc/self/stat");
    const before = groupCpuSeconds(own.group) ?? Number.NaN;
    const until = performance.now() + 300;
    let spins = 0;
    while (performance.now() < until) spins++;
    const after = groupCpuSeconds(own.group) ?? Number.NaN;
    expect(spins).toBeGreaterThan(0);
    // 300 ms of busy loop, read in 10 ms ticks; the machine may take the core away meanwhile.
    expect(after - before).toBeGreaterThanOrEqual(0.1);
  });

  it.runIf(process.platform === "linux")("gives each process of the group its own time", () => {
    const own = parseStat(readFileSync("/proc/self/stat", "utf8"));
    if (!own) throw new Error("cannot read /proc/self/stat");
    const before = processCpuSeconds(own.group);
    const until = performance.now() + 300;
    while (performance.now() < until) {}
    const after = processCpuSeconds(own.group);
    expect(after.has(process.pid)).toBe(true);
    // This process burned the loop; the group's sum is the sum of its processes' times.
    expect((after.get(process.pid) ?? 0) - (before.get(process.pid) ?? 0)).toBeGreaterThanOrEqual(
      0.1,
    );
    const sum = [...after.values()].reduce((total, seconds) => total + seconds, 0);
    expect(groupCpuSeconds(own.group)).toBeGreaterThanOrEqual(sum);
  });
});
