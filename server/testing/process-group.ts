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
}

function readProcess(pid: number): { pgid: number; process: GroupProcess } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgid = Number(fields[2]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    return { pgid, process: { pid, name, commandLine, rssKB } };
  } catch {
    return undefined; // gone meanwhile, or a zombie without memory
  }
}

export function processGroup(pgid: number): GroupProcess[] {
  const members: GroupProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const found = readProcess(Number(entry));
    if (found && found.pgid === pgid && found.process.commandLine !== "") members.push(found.process);
  }
  return members.sort((a, b) => a.pid - b.pid);
}

/** The embedded PostgreSQL's processes are counted apart from Airlock's own. */
export function isPostgres(process: GroupProcess): boolean {
  return process.name === "postgres" || process.commandLine.includes("/postgres ");
}
