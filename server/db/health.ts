/** App and database status for /api/health. */
import { db } from "./client";

export interface Health {
  status: "ok" | "degraded";
  app: { status: "ok"; uptimeSeconds: number };
  database: { status: "ok" | "unreachable"; latencyMs?: number; error?: string };
}

export async function checkHealth(): Promise<Health> {
  const started = performance.now();
  const app = { status: "ok" as const, uptimeSeconds: Math.round(process.uptime()) };
  try {
    await Promise.race([
      db().$queryRawUnsafe("SELECT 1"),
      new Promise((_, reject) => setTimeout(() => reject(new Error("no answer within 3 s")), 3_000)),
    ]);
    return { status: "ok", app, database: { status: "ok", latencyMs: Math.round(performance.now() - started) } };
  } catch (error) {
    return {
      status: "degraded",
      app,
      database: { status: "unreachable", error: error instanceof Error ? error.message.split("\n")[0] : "unknown" },
    };
  }
}
