/*
 * The CPU time a server spends, from /proc (Linux only): on a shared machine req/s swings with
 * whatever else runs, while the CPU time a request costs the server moves far less, so
 * `npm run bench:ab` reports both (docs/performance.md, "Lean request path").
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";

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
  if (!existsSync("/proc")) return null;
  let seconds = 0;
  for (const used of processCpuSeconds(group).values()) seconds += used;
  return seconds;
}

/**
 * Seconds of CPU used so far by each live process of a process group, by pid (empty where /proc
 * is not there): a cluster's primary and its workers apart, as `npm run bench:ingest` reports them.
 */
export function processCpuSeconds(group: number): Map<number, number> {
  const seconds = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return seconds;
  }
  for (const pid of pids) {
    try {
      const times = parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      if (times?.group === group) seconds.set(Number(pid), times.ticks / TICKS_PER_SECOND);
    } catch {
      // Gone meanwhile.
    }
  }
  return seconds;
}
