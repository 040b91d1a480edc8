/**
 * A worker process for crash tests, meant to be killed with SIGKILL at any moment.
 * Started by crash-harness.ts as `node --import tsx server/testing/crash-worker.ts
 * '<json config>'` with DATABASE_URL pointing at the test database. It runs the real
 * worker and engine with the scripted crash model and the ledger tools, and a short
 * lease so that another process reclaims its runs soon after it dies.
 *
 * With `shell` set it runs the demo model and the real run_shell tool on that workspace
 * instead (for kill tests of a sandboxed command).
 *
 * Talks to its parent over the IPC channel: `ready` once it is claiming runs, and
 * `tool-blocked` when a tool configured to block has reached its block point.
 */
import pg from "pg";
import { z } from "zod";
import { startWorker } from "../agent/worker";
import { databaseUrl } from "../db/client";
import { createDemoModel } from "../models/demo-model";
import { createRunShellTool } from "../tools/shell/run-shell";
import { testEngineDependencies } from "./fixtures";
import { createLedgerTools, type ToolBlockedNotice } from "./ledger-tools";
import { createScriptedCrashModel } from "./scripted-crash-model";
import { createSeededRandom } from "./seeded-random";

export const crashWorkerConfigSchema = z.object({
  workerId: z.string().min(1),
  seed: z.number().int(),
  concurrency: z.number().int().positive(),
  leaseMs: z.number().int().positive(),
  maxTokenDelayMs: z.number().int().min(0),
  maxToolDelayMs: z.number().int().min(0),
  /** A blocked tool normally waits for the kill; a short timeout tests the timeout path instead. */
  toolTimeoutMs: z.number().int().positive().default(60_000),
  /** The recovery cap and backoff (see agent/recovery.ts); crash tests leave the cap out of the way. */
  maxRecoveries: z.number().int().positive().default(100),
  recoveryBackoffMs: z.number().int().min(0).default(0),
  block: z
    .object({
      tool: z.enum(["ledger_write", "ledger_append", "ledger_read"]),
      point: z.enum(["before-effect", "after-effect"]),
    })
    .optional(),
  /** Run the demo model with the real run_shell tool on this workspace instead of the ledger. */
  shell: z.object({ root: z.string().min(1), timeoutMs: z.number().int().positive() }).optional(),
});

export type CrashWorkerConfig = z.input<typeof crashWorkerConfigSchema>;

export type CrashWorkerMessage = { type: "ready"; workerId: string; pid: number } | ToolBlockedNotice;

function send(message: CrashWorkerMessage): void {
  process.send?.(message);
}

async function main() {
  const config = crashWorkerConfigSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  const random = createSeededRandom(config.seed);
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
  const deps = testEngineDependencies({
    model: config.shell
      ? createDemoModel({ tokenDelayMs: 0 })
      : createScriptedCrashModel({ random, maxTokenDelayMs: config.maxTokenDelayMs }),
    tools: config.shell
      ? [createRunShellTool({ root: config.shell.root, timeoutMs: config.shell.timeoutMs })]
      : createLedgerTools({
          pool,
          random,
          maxDelayMs: config.maxToolDelayMs,
          ...(config.block ? { block: config.block } : {}),
          onBlocked: send,
        }),
    config: {
      leaseMs: config.leaseMs,
      toolTimeoutMs: config.toolTimeoutMs,
      runTimeoutMs: 120_000,
      maxRecoveries: config.maxRecoveries,
      recoveryBackoffMs: config.recoveryBackoffMs,
    },
  });
  const worker = await startWorker({
    deps,
    concurrency: config.concurrency,
    workerId: config.workerId,
    pollIntervalMs: Math.max(100, Math.floor(config.leaseMs / 4)),
  });
  const stop = () => {
    void worker
      .stop({ graceMs: 2_000 })
      .finally(() => pool.end())
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // An orphan must not keep claiming runs after its test has gone.
  process.once("disconnect", () => process.exit(1));
  send({ type: "ready", workerId: worker.id, pid: process.pid });
}

main().catch((error) => {
  process.stderr.write(`crash worker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});
