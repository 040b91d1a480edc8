/**
 * App and database status for the health endpoints. Readiness (/api/health,
 * /api/health/ready) needs the database; liveness (/api/health/live) only needs this
 * process to answer, so a load balancer takes an instance out of rotation while its
 * database is away without a supervisor restarting a process that will recover by itself.
 * Errors are described in words of our own: never the driver's text, which names the
 * database's address.
 */
import { db } from "./client";
import { isDatabaseUnavailable } from "./errors";

export interface Health {
  status: "ok" | "degraded";
  app: { status: "ok"; uptimeSeconds: number };
  database: { status: "ok" | "unreachable" | "failing"; latencyMs?: number; error?: string };
}

const ANSWER_WITHIN_MS = 3_000;

class NoAnswerError extends Error {}

/** A safe, non-empty description of why the database check failed. */
export function describeDatabaseFailure(error: unknown): { status: "unreachable" | "failing"; error: string } {
  if (error instanceof NoAnswerError) {
    return { status: "unreachable", error: `The database did not answer within ${ANSWER_WITHIN_MS / 1000} s.` };
  }
  if (isDatabaseUnavailable(error)) {
    return { status: "unreachable", error: "The database cannot be reached; it may be restarting." };
  }
  return { status: "failing", error: "The database answered with an error; see the server log." };
}

export function liveness(): { status: "ok"; uptimeSeconds: number } {
  return { status: "ok", uptimeSeconds: Math.round(process.uptime()) };
}

export async function checkHealth(): Promise<Health> {
  const started = performance.now();
  const app = liveness();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db().$queryRawUnsafe("SELECT 1"),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new NoAnswerError()), ANSWER_WITHIN_MS);
      }),
    ]);
    return { status: "ok", app, database: { status: "ok", latencyMs: Math.round(performance.now() - started) } };
  } catch (error) {
    return { status: "degraded", app, database: describeDatabaseFailure(error) };
  } finally {
    clearTimeout(timer);
  }
}
