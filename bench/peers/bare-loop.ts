/**
 * The floor: a hand-written loop that calls the scripted model, runs the no-op tool and
 * INSERTs one row per step with node-postgres. No framework, no events, no leases; what
 * any durable loop pays at least on this machine and database.
 */
import pg from "pg";
import { type FrameworkDriver, type ModelCallClock, scriptedTurn } from "../lib/script";

export async function startBareLoopDriver(options: { url: string; clock: ModelCallClock }): Promise<FrameworkDriver> {
  const pool = new pg.Pool({ connectionString: options.url, max: 4 });
  await pool.query(`CREATE TABLE IF NOT EXISTS bare_loop_steps (
    id bigserial PRIMARY KEY,
    run_id text NOT NULL,
    step int NOT NULL,
    data jsonb NOT NULL
  )`);
  let runCounter = 0;
  return {
    name: "bare loop, one INSERT per step",
    async runConversation(script) {
      options.clock.reset();
      const runId = `bare-run-${++runCounter}-${Date.now()}`;
      for (let completed = 0; ; completed++) {
        const call = options.clock.begin();
        const turn = scriptedTurn(completed, script);
        call.finish();
        if (turn.kind === "text") break;
        const results = await Promise.all(turn.calls.map(async () => ({ ok: true })));
        await pool.query("INSERT INTO bare_loop_steps (run_id, step, data) VALUES ($1, $2, $3)", [
          runId,
          completed + 1,
          JSON.stringify({ calls: turn.calls, results }),
        ]);
      }
      return options.clock.stepOverheads();
    },
    stop: () => pool.end(),
  };
}
