/**
 * Tools whose side effects land in a `ledger` table of the test database, so a crash
 * test can count what really happened: `ledger` holds applied effects and
 * `ledger_attempt` every physical execution, written before the effect. A tool can be
 * told to block at a chosen point (after announcing it over IPC) so a test can kill its
 * worker exactly while the call is RUNNING.
 */
import type pg from "pg";
import { z } from "zod";
import { type AnyTool, defineTool, type ToolContext } from "../tools/define-tool";
import { LEDGER_TOOL_NAMES, type LedgerToolName } from "./crash-plan";
import type { SeededRandom } from "./seeded-random";

export const LEDGER_TABLES_SQL = `
  CREATE TABLE IF NOT EXISTS ledger (
    id bigserial PRIMARY KEY,
    idempotency_key text NOT NULL,
    tool text NOT NULL,
    run_id text NOT NULL,
    worker_pid int NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  );
  -- Only the idempotent tool dedupes; the other must show a second execution as a second row.
  CREATE UNIQUE INDEX IF NOT EXISTS ledger_write_once ON ledger (idempotency_key) WHERE tool = 'ledger_write';
  CREATE TABLE IF NOT EXISTS ledger_attempt (
    id bigserial PRIMARY KEY,
    idempotency_key text NOT NULL,
    tool text NOT NULL,
    run_id text NOT NULL,
    worker_pid int NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
  );
`;

/** Where a blocking tool stops: with its effect not yet applied, or applied but unconfirmed. */
export type BlockPoint = "before-effect" | "after-effect";

export interface ToolBlock {
  tool: LedgerToolName;
  point: BlockPoint;
}

export interface ToolBlockedNotice {
  type: "tool-blocked";
  tool: LedgerToolName;
  point: BlockPoint;
  runId: string;
  idempotencyKey: string;
}

export interface LedgerToolsOptions {
  pool: pg.Pool;
  random: SeededRandom;
  /** Upper bound of the random pauses around each effect, which spread kill points. */
  maxDelayMs: number;
  block?: ToolBlock;
  onBlocked?: (notice: ToolBlockedNotice) => void;
}

const entryInput = z.object({ entry: z.string().min(1).max(200) });

export function createLedgerTools(options: LedgerToolsOptions): AnyTool[] {
  const { pool, random } = options;
  let blocked = false;
  const pause = () => new Promise((resolve) => setTimeout(resolve, random.integer(0, options.maxDelayMs)));

  const maybeBlock = async (tool: LedgerToolName, point: BlockPoint, context: ToolContext) => {
    if (blocked || options.block?.tool !== tool || options.block.point !== point) return;
    blocked = true;
    options.onBlocked?.({
      type: "tool-blocked",
      tool,
      point,
      runId: context.runId,
      idempotencyKey: context.idempotencyKey,
    });
    // Hang like a stuck remote call until the test kills this process.
    await new Promise(() => {});
  };

  const recordAttempt = async (tool: LedgerToolName, context: ToolContext) => {
    await pause();
    await pool.query("INSERT INTO ledger_attempt (idempotency_key, tool, run_id, worker_pid) VALUES ($1, $2, $3, $4)", [
      context.idempotencyKey,
      tool,
      context.runId,
      process.pid,
    ]);
    await maybeBlock(tool, "before-effect", context);
    await pause();
  };

  const afterEffect = async (tool: LedgerToolName, context: ToolContext) => {
    await maybeBlock(tool, "after-effect", context);
    await pause();
  };

  const write = defineTool({
    name: LEDGER_TOOL_NAMES.write,
    description: "Write an entry to the ledger. Safe to retry: the call's idempotency key is applied once.",
    input: entryInput,
    output: z.object({ applied: z.boolean() }),
    risk: "DESTRUCTIVE",
    idempotent: true,
    async execute(_input, context) {
      await recordAttempt(LEDGER_TOOL_NAMES.write, context);
      const result = await pool.query(
        `INSERT INTO ledger (idempotency_key, tool, run_id, worker_pid) VALUES ($1, $2, $3, $4)
         ON CONFLICT (idempotency_key) WHERE tool = 'ledger_write' DO NOTHING`,
        [context.idempotencyKey, LEDGER_TOOL_NAMES.write, context.runId, process.pid],
      );
      await afterEffect(LEDGER_TOOL_NAMES.write, context);
      return { applied: result.rowCount === 1 };
    },
  });

  const append = defineTool({
    name: LEDGER_TOOL_NAMES.append,
    description: "Append an entry to the ledger. Not idempotent: every execution appends.",
    input: entryInput,
    output: z.object({ appended: z.boolean() }),
    risk: "DESTRUCTIVE",
    async execute(_input, context) {
      await recordAttempt(LEDGER_TOOL_NAMES.append, context);
      await pool.query("INSERT INTO ledger (idempotency_key, tool, run_id, worker_pid) VALUES ($1, $2, $3, $4)", [
        context.idempotencyKey,
        LEDGER_TOOL_NAMES.append,
        context.runId,
        process.pid,
      ]);
      await afterEffect(LEDGER_TOOL_NAMES.append, context);
      return { appended: true };
    },
  });

  const read = defineTool({
    name: LEDGER_TOOL_NAMES.read,
    description: "Count the ledger entries of this run.",
    input: entryInput,
    output: z.object({ entries: z.number().int() }),
    risk: "READ",
    async execute(_input, context) {
      await recordAttempt(LEDGER_TOOL_NAMES.read, context);
      const result = await pool.query<{ entries: number }>(
        "SELECT count(*)::int AS entries FROM ledger WHERE run_id = $1",
        [context.runId],
      );
      await afterEffect(LEDGER_TOOL_NAMES.read, context);
      return { entries: result.rows[0]?.entries ?? 0 };
    },
  });

  return [write, append, read];
}
