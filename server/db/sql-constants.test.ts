/**
 * Constants that both the SQL functions (prisma/functions/) and TypeScript spell out —
 * PL/pgSQL cannot import a TypeScript constant — agree: the audit chain's lock key and
 * genesis hash, NOTIFY channel names, the SQLSTATEs our functions raise, the statuses of
 * an active run and the untitled conversation's title. And TypeScript names each of them
 * once: no NOTIFY channel is written as a literal outside its constant.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { APPROVALS_CHANNEL } from "./approvals";
import { AUDIT_CHAIN_LOCK_KEY, GENESIS_HASH } from "./audit-events";
import { UNTITLED_CONVERSATION } from "./conversations";
import { type CanonicalFunction, readCanonicalFunctions } from "./database-functions";
import { SQLSTATE } from "./errors";
import { GATEWAY_CANCEL_CHANNEL } from "./gateway";
import { findProjectRoot } from "./migrations";
import { MODEL_CONFIG_CHANNEL } from "./model-config";
import { POLICY_CHANNEL } from "./policy";
import { RUN_EVENTS_CHANNEL } from "./run-events";
import { ACTIVE_RUN_STATUSES, RUN_CANCEL_CHANNEL, RUNS_QUEUED_CHANNEL } from "./runs";
import { SESSIONS_ENDED_CHANNEL } from "./users";

const CHANNELS = [
  RUN_EVENTS_CHANNEL,
  RUNS_QUEUED_CHANNEL,
  RUN_CANCEL_CHANNEL,
  APPROVALS_CHANNEL,
  POLICY_CHANNEL,
  MODEL_CONFIG_CHANNEL,
  SESSIONS_ENDED_CHANNEL,
  GATEWAY_CANCEL_CHANNEL,
];

let functions: CanonicalFunction[];
const root = findProjectRoot();

beforeAll(async () => {
  functions = await readCanonicalFunctions(root);
});

/** Every capture of `pattern` in the function files, with the file it is in. */
function occurrences(pattern: RegExp): { file: string; value: string }[] {
  return functions.flatMap((item) =>
    [...item.sql.matchAll(pattern)].map((match) => ({ file: item.file, value: match[1] as string })),
  );
}

function functionSql(name: string): string {
  const found = functions.find((item) => item.name === name);
  if (!found) throw new Error(`no prisma/functions/${name}.sql`);
  return found.sql;
}

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !file.includes(`${path.sep}generated${path.sep}`));
}

describe("constants shared by SQL and TypeScript", () => {
  it("every advisory lock in the functions is the audit chain's, AUDIT_CHAIN_LOCK_KEY", () => {
    const locks = occurrences(/pg_advisory_xact_lock\(([^)]*)\)/g);
    expect(locks.length).toBeGreaterThan(0);
    for (const lock of locks) expect(lock, lock.file).toMatchObject({ value: String(AUDIT_CHAIN_LOCK_KEY) });
  });

  it("the chain starts where verification starts it, GENESIS_HASH", () => {
    const starts = occurrences(/repeat\('(0)', 64\)/g);
    expect(starts.length).toBeGreaterThan(0);
    expect("0".repeat(64)).toBe(GENESIS_HASH);
    expect(occurrences(/repeat\('([^']*)', (?!64\))/g)).toEqual([]);
  });

  it("every channel a function notifies is a channel TypeScript listens on by name", () => {
    const notified = occurrences(/pg_notify\('([^']*)'/g);
    expect(notified.map((item) => item.value)).toContain(RUN_EVENTS_CHANNEL);
    for (const channel of notified) expect(CHANNELS, channel.file).toContain(channel.value);
  });

  it("TypeScript names each NOTIFY channel once: no pg_notify with a literal channel outside its constant", async () => {
    const literal = /pg_notify\('(?!\$\{)[^']*'/;
    const offenders: string[] = [];
    for (const file of [
      ...(await sourceFiles(path.join(root, "server"))),
      ...(await sourceFiles(path.join(root, "scripts"))),
    ]) {
      const text = await readFile(file, "utf8");
      if (literal.test(text)) offenders.push(path.relative(root, file));
    }
    expect(offenders).toEqual([]);
    expect(new Set(CHANNELS).size).toBe(CHANNELS.length);
  });

  it("the SQLSTATEs the functions raise are exactly those errors.ts turns into typed errors", () => {
    const raised = occurrences(/ERRCODE = '(Z[0-9A-Z]{4})'/g).map((item) => item.value);
    expect([...new Set(raised)].sort()).toEqual(Object.values(SQLSTATE).sort());
    expect(new Set(Object.values(SQLSTATE)).size).toBe(Object.values(SQLSTATE).length);
  });

  it("airlock_queue_run refuses a second run for the statuses ACTIVE_RUN_STATUSES names, and titles only an untitled conversation", () => {
    const queueRun = functionSql("airlock_queue_run");
    const statuses = /status IN \(([^)]*)\)/.exec(queueRun)?.[1];
    expect(statuses?.split(",").map((status) => status.trim().replace(/^'|'$/g, ""))).toEqual(ACTIVE_RUN_STATUSES);
    expect(queueRun).toContain(`WHEN title = '${UNTITLED_CONVERSATION}'`);
  });
});
