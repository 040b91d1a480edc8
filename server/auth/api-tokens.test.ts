/**
 * API tokens against the real database: the secret is shown once and stored only as its
 * SHA-256; every spelling of the Authorization header but the one is refused; wrong,
 * expired, revoked and deactivated-user tokens are refused with their reason; a token acts
 * with its user's current role; a burst of requests writes lastUsedAt once.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../db/users";
import { AirlockError } from "../errors";
import type { Role } from "../shared/risk";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  authenticateApiToken,
  createApiToken,
  LAST_USED_INTERVAL_MS,
  listApiTokens,
  revokeApiToken,
} from "./api-tokens";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  // Counts every write to a token row, so "at most once a minute" is observed, not assumed.
  await database.query(`CREATE TABLE token_writes (token_id text NOT NULL)`);
  await database.query(`CREATE FUNCTION count_token_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO token_writes VALUES (NEW.id); RETURN NEW; END $$`);
  await database.query(
    `CREATE TRIGGER count_token_write AFTER UPDATE ON "ApiToken" FOR EACH ROW EXECUTE FUNCTION count_token_write()`,
  );
});
afterAll(async () => database?.drop());

let userCount = 0;
/** Users without a password: these tests never sign in, and argon2 would cost half a second each. */
function createTestUser(role: Role) {
  userCount++;
  return createUser({ email: `token-${userCount}@test.local`, name: `${role} ${userCount}`, role, passwordHash: null });
}

async function writesOf(tokenId: string): Promise<number> {
  const [row] = await database.query<{ count: string }>(
    `SELECT count(*)::text AS count FROM token_writes WHERE token_id = $1`,
    [tokenId],
  );
  return Number(row?.count);
}

async function reasonOf(authorization: string | null): Promise<string> {
  const check = await authenticateApiToken(authorization);
  return check.ok ? "ok" : check.reason;
}

describe("creating a token", () => {
  it("returns the secret once; the database keeps its SHA-256 and a display prefix; audited without the secret", async () => {
    const user = await createTestUser("USER");
    const before = Date.now();
    const created = await createApiToken({ userId: user.id, name: "CI deploys", expiresInDays: 30 });
    expect(created.token).toMatch(/^alk_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.token.slice(0, 12));
    expect(created.expiresAt.getTime() - before).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(created.expiresAt.getTime() - before).toBeLessThan(30 * 86_400_000 + 60_000);

    const [row] = await database.query<{ tokenHash: string; prefix: string }>(
      `SELECT "tokenHash", prefix FROM "ApiToken" WHERE id = $1`,
      [created.id],
    );
    expect(row?.tokenHash).toBe(createHash("sha256").update(created.token).digest("hex"));
    const everything = JSON.stringify(await database.query(`SELECT * FROM "ApiToken"`));
    expect(everything).not.toContain(created.token);

    const listed = await listApiTokens({ userId: user.id });
    expect(listed).toEqual([
      {
        id: created.id,
        name: "CI deploys",
        prefix: created.prefix,
        createdAt: created.createdAt,
        expiresAt: created.expiresAt,
        lastUsedAt: null,
        revokedAt: null,
      },
    ]);
    const audits = await database.query<{ action: string; actorId: string; data: unknown }>(
      `SELECT action, "actorId", data FROM "AuditEvent" WHERE "targetId" = $1`,
      [created.id],
    );
    expect(audits).toEqual([
      {
        action: "api-token.created",
        actorId: user.id,
        data: { name: "CI deploys", prefix: created.prefix, expiresAt: created.expiresAt.toISOString() },
      },
    ]);
    expect(JSON.stringify(await database.query(`SELECT * FROM "AuditEvent"`))).not.toContain(created.token);
  });

  it("refuses an expiry outside 1–365 whole days, even from a caller that skipped the schema", async () => {
    const user = await createTestUser("USER");
    for (const expiresInDays of [0, -1, 366, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(createApiToken({ userId: user.id, name: "x", expiresInDays })).rejects.toMatchObject({
        code: "request:invalid",
      });
    }
    expect(await listApiTokens({ userId: user.id })).toEqual([]);
  });
});

describe("authenticateApiToken", () => {
  it("accepts exactly `Bearer <token>` and refuses every other spelling", async () => {
    const user = await createTestUser("REVIEWER");
    const { token } = await createApiToken({ userId: user.id, name: "spellings", expiresInDays: 1 });
    const other = await createApiToken({ userId: user.id, name: "other", expiresInDays: 1 });
    const check = await authenticateApiToken(`Bearer ${token}`);
    expect(check).toEqual({
      ok: true,
      actor: {
        tokenId: expect.any(String),
        user: { id: user.id, email: user.email, name: user.name, role: "REVIEWER" },
      },
    });

    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const spellings: [string | null, string][] = [
      [null, "missing"],
      ["", "missing"],
      [`bearer ${token}`, "malformed"],
      [`BEARER ${token}`, "malformed"],
      [`Bearer  ${token}`, "malformed"],
      [` Bearer ${token}`, "malformed"],
      [`Bearer ${token} `, "malformed"],
      [`Bearer\t${token}`, "malformed"],
      [`Bearer ${token}\n`, "malformed"],
      [`Bearer\u00a0${token}`, "malformed"],
      [token, "malformed"],
      ["Bearer", "malformed"],
      ["Bearer ", "malformed"],
      [`Basic ${Buffer.from(`x:${token}`).toString("base64")}`, "malformed"],
      // Two Authorization headers arrive joined by ", " (Fetch's Headers.get).
      [`Bearer ${token}, Bearer ${other.token}`, "malformed"],
      [`Bearer ${token}, Bearer ${token}`, "malformed"],
      [`Bearer ${token}${"A".repeat(100_000)}`, "malformed"],
      [`Bearer ${"A".repeat(1_000_000)}`, "malformed"],
      [`Bearer ${token.slice(0, -1)}é`, "malformed"],
      [`Bearer ${token.slice(0, -2)}😀`, "malformed"],
      [`Bearer ${token.replace("alk_", "ALK_")}`, "malformed"],
      [`Bearer ${token.replace("alk_", "alk-")}`, "malformed"],
      [`Bearer ${token.slice(0, -1)}`, "malformed"],
      [`Bearer ${token}A`, "malformed"],
      [`Bearer ${token.slice(0, -1)}=`, "malformed"],
      [`Bearer ${token}\u0000`, "malformed"],
      [`Bearer ${createHash("sha256").update(token).digest("hex")}`, "malformed"],
      [`Bearer ${flipped}`, "unknown"],
      [`Bearer alk_${"A".repeat(43)}`, "unknown"],
    ];
    const answers = await Promise.all(spellings.map(async ([header]) => reasonOf(header)));
    expect(answers).toEqual(spellings.map(([, reason]) => reason));
    // Still fine afterwards: nothing above locked it or counted against it.
    expect(await reasonOf(`Bearer ${token}`)).toBe("ok");
  });

  it("refuses an expired token, a revoked one, and one of a deactivated user, each with its reason", async () => {
    const user = await createTestUser("USER");
    const expired = await createApiToken({ userId: user.id, name: "expired", expiresInDays: 1 });
    const revoked = await createApiToken({ userId: user.id, name: "revoked", expiresInDays: 1 });
    const kept = await createApiToken({ userId: user.id, name: "kept", expiresInDays: 1 });
    await database.query(`UPDATE "ApiToken" SET "expiresAt" = now() - interval '1 millisecond' WHERE id = $1`, [
      expired.id,
    ]);
    await revokeApiToken({ userId: user.id, tokenId: revoked.id });

    expect(await reasonOf(`Bearer ${expired.token}`)).toBe("expired");
    expect(await reasonOf(`Bearer ${revoked.token}`)).toBe("revoked");
    expect(await reasonOf(`Bearer ${kept.token}`)).toBe("ok");
    const refusal = await authenticateApiToken(`Bearer ${revoked.token}`);
    expect(refusal.ok === false && refusal.message).toMatch(/revoked/);

    await database.query(`UPDATE "User" SET active = false WHERE id = $1`, [user.id]);
    expect(await reasonOf(`Bearer ${kept.token}`)).toBe("user-disabled");
    await database.query(`UPDATE "User" SET active = true WHERE id = $1`, [user.id]);
    expect(await reasonOf(`Bearer ${kept.token}`)).toBe("ok");
  });

  it("acts with the user's current role: lowered or raised, the next request sees it", async () => {
    const user = await createTestUser("ADMIN");
    const { token } = await createApiToken({ userId: user.id, name: "role", expiresInDays: 7 });
    const roleNow = async () => {
      const check = await authenticateApiToken(`Bearer ${token}`);
      return check.ok ? check.actor.user.role : check.reason;
    };
    expect(await roleNow()).toBe("ADMIN");
    await database.query(`UPDATE "User" SET role = 'USER' WHERE id = $1`, [user.id]);
    expect(await roleNow()).toBe("USER");
    await database.query(`UPDATE "User" SET role = 'REVIEWER' WHERE id = $1`, [user.id]);
    expect(await roleNow()).toBe("REVIEWER");
  });

  it("records the last use at most once a minute per token, however many requests arrive at once", async () => {
    const user = await createTestUser("USER");
    const { id, token } = await createApiToken({ userId: user.id, name: "storm", expiresInDays: 1 });
    const storm = () => Promise.all(Array.from({ length: 25 }, () => reasonOf(`Bearer ${token}`)));

    expect(new Set(await storm())).toEqual(new Set(["ok"]));
    expect(await writesOf(id)).toBe(1);
    const [first] = await listApiTokens({ userId: user.id });
    expect(first?.lastUsedAt).toBeInstanceOf(Date);

    expect(new Set(await storm())).toEqual(new Set(["ok"]));
    expect(await writesOf(id)).toBe(1);

    // A minute later (moved back by hand: no sleeping), one more write for the next burst.
    await database.query(`ALTER TABLE "ApiToken" DISABLE TRIGGER count_token_write`);
    await database.query(`UPDATE "ApiToken" SET "lastUsedAt" = "lastUsedAt" - $2::interval WHERE id = $1`, [
      id,
      `${LAST_USED_INTERVAL_MS + 1000} milliseconds`,
    ]);
    await database.query(`ALTER TABLE "ApiToken" ENABLE TRIGGER count_token_write`);
    expect(new Set(await storm())).toEqual(new Set(["ok"]));
    expect(await writesOf(id)).toBe(2);
    const [second] = await listApiTokens({ userId: user.id });
    expect(second?.lastUsedAt?.getTime()).toBeGreaterThan(first?.lastUsedAt?.getTime() ?? Number.NaN);
  });

  it("refused tokens write nothing", async () => {
    const user = await createTestUser("USER");
    const revoked = await createApiToken({ userId: user.id, name: "revoked", expiresInDays: 1 });
    await revokeApiToken({ userId: user.id, tokenId: revoked.id });
    const writesBefore = await writesOf(revoked.id);
    await Promise.all(Array.from({ length: 5 }, () => reasonOf(`Bearer ${revoked.token}`)));
    expect(await writesOf(revoked.id)).toBe(writesBefore);
  });
});

describe("revoking", () => {
  it("revokes the owner's token once (audited once); another user's token is not found and stays valid", async () => {
    const owner = await createTestUser("USER");
    const stranger = await createTestUser("ADMIN");
    const created = await createApiToken({ userId: owner.id, name: "mine", expiresInDays: 1 });

    const refused = await revokeApiToken({ userId: stranger.id, tokenId: created.id }).catch((error) => error);
    expect(refused).toBeInstanceOf(AirlockError);
    expect(refused).toMatchObject({ code: "api-token:not-found" });
    expect(await reasonOf(`Bearer ${created.token}`)).toBe("ok");

    const [first, second] = await Promise.all([
      revokeApiToken({ userId: owner.id, tokenId: created.id }),
      revokeApiToken({ userId: owner.id, tokenId: created.id }),
    ]);
    expect(first.revokedAt).toBeInstanceOf(Date);
    expect(second.revokedAt).toEqual(first.revokedAt);
    const audits = await database.query<{ action: string }>(
      `SELECT action FROM "AuditEvent" WHERE "targetId" = $1 ORDER BY id`,
      [created.id],
    );
    expect(audits.map((audit) => audit.action)).toEqual(["api-token.created", "api-token.revoked"]);
    expect(await reasonOf(`Bearer ${created.token}`)).toBe("revoked");
  });

  it("caps the active tokens of one person, also under parallel creations", async () => {
    const user = await createTestUser("USER");
    // 48 active ones by hand (and an expired and a revoked one, which do not count).
    await database.query(
      `INSERT INTO "ApiToken" (id, "userId", name, "tokenHash", prefix, "expiresAt", "revokedAt")
       SELECT 'cfill' || lpad(n::text, 20, '0'), $1, 'filler', md5($1 || n::text), 'alk_filler', now() + interval '1 day',
              CASE WHEN n = 50 THEN now() END
       FROM generate_series(1, 50) AS n`,
      [user.id],
    );
    await database.query(`UPDATE "ApiToken" SET "expiresAt" = now() WHERE id = 'cfill' || lpad('49', 20, '0')`);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, (_, index) => createApiToken({ userId: user.id, name: `t${index}`, expiresInDays: 1 })),
    );
    const codes = outcomes.map((outcome) =>
      outcome.status === "fulfilled" ? "ok" : (outcome.reason as AirlockError).code,
    );
    expect(codes.filter((code) => code === "ok")).toHaveLength(2);
    expect(codes.filter((code) => code === "api-token:limit")).toHaveLength(3);
    const [oldest] = (await listApiTokens({ userId: user.id })).slice(-1);
    await revokeApiToken({ userId: user.id, tokenId: oldest?.id ?? "" });
    await expect(createApiToken({ userId: user.id, name: "after", expiresInDays: 1 })).resolves.toMatchObject({
      name: "after",
    });
  });
});
