/**
 * The processes of one process group, read from /proc (Linux): what `npm start` runs,
 * with each one's resident memory. Used by the launcher test and bench:idle.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface GroupProcess {
  pid: number;
  /** The executable's name (postgres, node, npm …). */
  name: string;
  commandLine: string;
  rssKB: number;
  ppid: number;
  /** CPU seconds, user + system, its own and its reaped children's (from /proc/<pid>/stat). */
  cpuSeconds: number;
}

/** Clock ticks per second of /proc's CPU times: 100 on every Linux this runs on (USER_HZ). */
const CLOCK_TICKS = 100;

function readProcess(pid: number): { pgid: number; process: GroupProcess } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const pgid = Number(fields[2]);
    // utime, stime, cutime, cstime: fields 14–17 of stat, 12–15 after the comm.
    const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index] ?? 0), 0);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    return { pgid, process: { pid, name, commandLine, rssKB, ppid, cpuSeconds: ticks / CLOCK_TICKS } };
  } catch {
    return undefined; // gone meanwhile, or a zombie without memory
  }
}

function allProcesses(): { pgid: number; process: GroupProcess }[] {
  const found: { pgid: number; process: GroupProcess }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const one = readProcess(Number(entry));
    if (one && one.process.commandLine !== "") found.push(one);
  }
  return found;
}

export function processGroup(pgid: number): GroupProcess[] {
  return allProcesses()
    .filter((found) => found.pgid === pgid)
    .map((found) => found.process)
    .sort((a, b) => a.pid - b.pid);
}

/** The process and its children (a postmaster and its backends). */
export function processAndChildren(pid: number): GroupProcess[] {
  return allProcesses()
    .map((found) => found.process)
    .filter((process) => process.pid === pid || process.ppid === pid);
}

/** CPU seconds the processes used so far, together. */
export function cpuSecondsOf(processes: GroupProcess[]): number {
  return processes.reduce((sum, process) => sum + process.cpuSeconds, 0);
}

/** The embedded PostgreSQL's processes are counted apart from Airlock's own. */
export function isPostgres(process: GroupProcess): boolean {
  return process.name === "postgres" || process.commandLine.includes("/postgres ");
}
