/*
 * The CPU time a server spends, from /proc (Linux only): on a shared machine req/s swings with
 * whatever else runs, while the CPU time a request costs the server moves far less, so
 * `npm run bench:ab` reports both (docs/performance.md, "Lean request path").
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every common Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcessTimes {
  group: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** The process group and CPU ticks of one /proc/<pid>/stat line (its name may hold spaces). */
export function parseStat(line: string): ProcessTimes | null {
  const afterName = line.slice(line.lastIndexOf(")") + 2).split(" ");
  // After the name: state, ppid, pgrp (index 2) … utime (11), stime (12).
  const group = Number(afterName[2]);
  const ticks = Number(afterName[11]) + Number(afterName[12]);
  return Number.isFinite(group) && Number.isFinite(ticks) ? { group, ticks } : null;
}

/**
 * Seconds of CPU used so far by the live processes of a process group (a server with its
 * workers), or null where /proc is not there. A process that exits takes its time with it.
 */
export function groupCpuSeconds(group: number): number | null {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      const times = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (times?.group === group) ticks += times.ticks;
    } catch {
      // Gone meanwhile.
    }
  }
  return ticks / TICKS_PER_SECOND;
}
