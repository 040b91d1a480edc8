/**
 * The command-line entry points fail clearly: bad configuration, an unreachable
 * database, a port in use, and a broken audit chain each stop with a message and a
 * non-zero exit code.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAuditEvent } from "../server/audit/record-audit-event";
import { inTransaction } from "../server/db/transaction";
import { createTestDatabase, type TestDatabase } from "../server/testing/database";

const root = path.resolve(import.meta.dirname, "..");

/** Long enough that only a hang reaches it: tsx starts slowly on a loaded 2-core machine. */
const SCRIPT_HANG_MS = 120_000;

function runScript(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  hangMs = SCRIPT_HANG_MS,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", script), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), hangMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe("npm start refuses to start, clearly", () => {
  it("names a wrong setting", async () => {
    const { code, output } = await runScript("start.ts", { PORT: "eighty" });
    expect(code).toBe(1);
    expect(output).toContain("PORT: expected a port number");
  });

  it("says when the database cannot be reached", async () => {
    const { code, output } = await runScript("start.ts", {
      PORT: "3999",
      DATABASE_URL: "postgresql://nobody:secret@127.0.0.1:1/airlock",
    });
    expect(code).toBe(1);
    expect(output).toContain("Cannot reach the database at 127.0.0.1:1/airlock");
    expect(output).not.toContain("secret");
  });

  it("says when the port is taken", async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const { code, output } = await runScript("start.ts", { PORT: String(port), DATABASE_URL: database.url });
      expect(code).toBe(1);
      expect(output).toContain(`Port ${port} is already in use`);
    } finally {
      server.close();
    }
  });
});

describe("an instance that does not fit under max_connections", () => {
  it("is refused at start by the launcher and by a worker, clearly", async () => {
    const tooBig = { DATABASE_URL: database.url, DATABASE_POOL_SIZE: "150", DATABASE_SQL_POOL_SIZE: "60" };
    const app = await runScript("start.ts", { ...tooBig, PORT: "3998" });
    expect(app.code).toBe(1);
    expect(app.output).toContain("This instance may open 211 database connections");
    expect(app.output).toContain("max_connections is 200");
    const worker = await runScript("worker.ts", tooBig);
    expect(worker.code).toBe(1);
    expect(worker.output).toContain("This instance may open 211 database connections");
  });

  it("names a pool size out of bounds", async () => {
    const { code, output } = await runScript("start.ts", { DATABASE_POOL_SIZE: "0" });
    expect(code).toBe(1);
    expect(output).toContain("DATABASE_POOL_SIZE: expected between 1 and 500 connections");
  });
});

describe("npm run audit:verify", () => {
  it("passes on an intact chain and reports the first broken link", async () => {
    for (let index = 0; index < 3; index++) {
      await inTransaction((tx) =>
        recordAuditEvent(tx, { actorId: null, action: "test.event", targetType: "test", data: { index } }),
      );
    }
    const intact = await runScript("audit-verify.ts", { DATABASE_URL: database.url });
    expect(intact.code).toBe(0);
    expect(intact.output).toContain("Audit chain intact: 3 events verified.");

    const [second] = await database.query<{ id: string }>(`SELECT id FROM "AuditEvent" ORDER BY id OFFSET 1 LIMIT 1`);
    await database.query(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    await database.query(`UPDATE "AuditEvent" SET action = 'test.forged' WHERE id = $1`, [second?.id]);
    await database.query(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
    const broken = await runScript("audit-verify.ts", { DATABASE_URL: database.url });
    expect(broken.code).toBe(1);
    expect(broken.output).toContain(`Audit chain BROKEN at event ${second?.id}`);
  });
});

// A Postgres of its own, migrations, and three crash workers (each a fresh Node + tsx).
const SOAK_HANG_MS = 360_000;

describe("npm run soak:crash", () => {
  it(
    "runs a small kill -9 campaign on its own database and reports no lost or duplicated work",
    async () => {
      // A pinned seed: the same plans and kill points every time; the campaign's kills are
      // paced by the runs' progress as well as by time, so all of them land.
      const { code, output } = await runScript(
        "soak-crash.ts",
        {},
        ["--runs", "6", "--kills", "2", "--seed", "20261201"],
        SOAK_HANG_MS,
      );
      const report = JSON.parse(output.trim().split("\n").at(-1) ?? "{}");
      expect(report).toMatchObject({ runs: 6, completed: 6, kills: 2, duplicatesFound: 0, lostFound: 0, problems: 0 });
      expect(code).toBe(0);
    },
    SOAK_HANG_MS + 30_000,
  );
});
