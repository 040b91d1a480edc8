/**
 * Admin changes to people, against the real database: optimistic conflicts, the last
 * active admin under concurrency, no raising one's own role, temporary passwords, and an
 * audit event for every change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { errorCodeOf } from "../testing/errors";
import { createTestUser } from "../testing/fixtures";
import { changeOwnPassword } from "./change-password";
import { authenticateWithPassword } from "./sign-in";
import { changeUserRole, inviteUser, listUsers, resetUserPassword, setUserActive } from "./user-admin";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

async function versionOf(userId: string): Promise<number> {
  const [row] = await database.query<{ version: number }>(`SELECT version FROM "User" WHERE id = $1`, [userId]);
  return row?.version ?? -1;
}

async function auditActions(targetId: string): Promise<string[]> {
  const rows = await database.query<{ action: string }>(
    `SELECT action FROM "AuditEvent" WHERE "targetId" = $1 ORDER BY id`,
    [targetId],
  );
  return rows.map((row) => row.action);
}

/** Leaves exactly the given users as the active admins. */
async function onlyAdmins(...ids: string[]) {
  await database.query(`UPDATE "User" SET role = 'USER' WHERE role = 'ADMIN' AND NOT (id = ANY($1::text[]))`, [ids]);
}

describe("user administration", () => {
  it("invites a user with a temporary password they can sign in with, audited without the password", async () => {
    const admin = await createTestUser("ADMIN");
    const invited = await inviteUser({
      email: "  New.Person@Example.test ",
      name: "New Person",
      role: "REVIEWER",
      temporaryPassword: "temporary-password-1",
      actorId: admin.id,
    });
    expect(invited).toMatchObject({ email: "new.person@example.test", role: "REVIEWER", passwordTemporary: true });
    expect(
      await authenticateWithPassword({ email: "new.person@example.test", password: "temporary-password-1" }),
    ).toBeTruthy();
    const [event] = await database.query<{ action: string; actorId: string; data: unknown }>(
      `SELECT action, "actorId", data FROM "AuditEvent" WHERE action = 'user.created' AND "targetId" = $1`,
      [invited.id],
    );
    expect(event).toMatchObject({ action: "user.created", actorId: admin.id });
    expect(JSON.stringify(event?.data)).not.toContain("temporary-password-1");
    // The same address again, and concurrently: exactly one account, the others a clear "exists".
    const again = await Promise.all(
      [1, 2, 3].map(() =>
        errorCodeOf(
          inviteUser({
            email: "twice@example.test",
            name: "Twice",
            role: "USER",
            temporaryPassword: "temporary-password-2",
            actorId: admin.id,
          }),
        ),
      ),
    );
    expect(again.sort()).toEqual(["OK", "user:exists", "user:exists"]);
    expect(
      await errorCodeOf(
        inviteUser({
          email: "NEW.person@example.test",
          name: "Dup",
          role: "USER",
          temporaryPassword: "temporary-password-3",
          actorId: admin.id,
        }),
      ),
    ).toBe("user:exists");
  });

  it("a stale edit is a conflict, not a silent overwrite", async () => {
    const admin = await createTestUser("ADMIN");
    const other = await createTestUser("ADMIN");
    const target = await createTestUser("USER");
    const seen = await versionOf(target.id);
    await changeUserRole({ userId: target.id, role: "REVIEWER", expectedVersion: seen, actorId: admin.id });
    // The second admin still has the old version on screen.
    expect(
      await errorCodeOf(changeUserRole({ userId: target.id, role: "USER", expectedVersion: seen, actorId: other.id })),
    ).toBe("admin:conflict");
    expect(
      await errorCodeOf(setUserActive({ userId: target.id, active: false, expectedVersion: seen, actorId: other.id })),
    ).toBe("admin:conflict");
    const [row] = await database.query<{ role: string; active: boolean }>(
      `SELECT role, active FROM "User" WHERE id = $1`,
      [target.id],
    );
    expect(row).toEqual({ role: "REVIEWER", active: true });
    expect(await auditActions(target.id)).toEqual(["user.role-changed"]);
  });

  it("the last active admin can be neither demoted nor deactivated", async () => {
    const admin = await createTestUser("ADMIN");
    await onlyAdmins(admin.id);
    const second = await createTestUser("ADMIN");
    // With two admins, one may step down.
    await changeUserRole({
      userId: second.id,
      role: "REVIEWER",
      expectedVersion: await versionOf(second.id),
      actorId: admin.id,
    });
    expect(
      await errorCodeOf(
        changeUserRole({
          userId: admin.id,
          role: "REVIEWER",
          expectedVersion: await versionOf(admin.id),
          actorId: admin.id,
        }),
      ),
    ).toBe("admin:last-admin");
    expect((await listUsers({ offset: 0, limit: 100 })).activeAdmins).toBe(1);
  });

  it("two admins demoting each other at the same moment leave one admin, never none", async () => {
    for (let round = 0; round < 5; round++) {
      const first = await createTestUser("ADMIN");
      const second = await createTestUser("ADMIN");
      await onlyAdmins(first.id, second.id);
      const [firstVersion, secondVersion] = [await versionOf(first.id), await versionOf(second.id)];
      const results = await Promise.all([
        errorCodeOf(
          changeUserRole({ userId: second.id, role: "USER", expectedVersion: secondVersion, actorId: first.id }),
        ),
        errorCodeOf(
          changeUserRole({ userId: first.id, role: "USER", expectedVersion: firstVersion, actorId: second.id }),
        ),
      ]);
      expect(results.filter((result) => result === "OK")).toHaveLength(1);
      // The loser is refused, either as the last admin or as no longer an admin.
      expect(results.find((result) => result !== "OK")).toMatch(/^(admin:last-admin|auth:forbidden)$/);
      const [count] = await database.query<{ admins: number }>(
        `SELECT count(*)::int AS admins FROM "User" WHERE role = 'ADMIN' AND active`,
      );
      expect(count?.admins).toBe(1);
    }
  });

  it("deactivating the other admin while they deactivate you also leaves one", async () => {
    const first = await createTestUser("ADMIN");
    const second = await createTestUser("ADMIN");
    await onlyAdmins(first.id, second.id);
    const results = await Promise.all([
      errorCodeOf(setUserActive({ userId: second.id, active: false, expectedVersion: 1, actorId: first.id })),
      errorCodeOf(setUserActive({ userId: first.id, active: false, expectedVersion: 1, actorId: second.id })),
    ]);
    expect(results.filter((result) => result === "OK")).toHaveLength(1);
    const [count] = await database.query<{ admins: number }>(
      `SELECT count(*)::int AS admins FROM "User" WHERE role = 'ADMIN' AND active`,
    );
    expect(count?.admins).toBe(1);
  });

  it("nobody raises their own role or deactivates themself; an admin may step down while another remains", async () => {
    const admin = await createTestUser("ADMIN");
    const backup = await createTestUser("ADMIN");
    await onlyAdmins(admin.id, backup.id);
    expect(
      await errorCodeOf(
        setUserActive({
          userId: admin.id,
          active: false,
          expectedVersion: await versionOf(admin.id),
          actorId: admin.id,
        }),
      ),
    ).toBe("admin:self-change");
    await changeUserRole({
      userId: admin.id,
      role: "REVIEWER",
      expectedVersion: await versionOf(admin.id),
      actorId: admin.id,
    });
    // Now a reviewer: raising themself back is refused, whatever the version.
    expect(
      await errorCodeOf(
        changeUserRole({
          userId: admin.id,
          role: "ADMIN",
          expectedVersion: await versionOf(admin.id),
          actorId: admin.id,
        }),
      ),
    ).toBe("auth:forbidden");
    // A deactivated admin's procedures are refused upstream; here too, under the lock.
    const deactivated = await createTestUser("ADMIN");
    await database.query(`UPDATE "User" SET active = false WHERE id = $1`, [deactivated.id]);
    const target = await createTestUser("USER");
    expect(
      await errorCodeOf(
        changeUserRole({ userId: target.id, role: "ADMIN", expectedVersion: 1, actorId: deactivated.id }),
      ),
    ).toBe("auth:forbidden");
  });

  it("self-raise is refused even for a reviewer calling the service directly", async () => {
    // The adminProcedure stops a reviewer first; the service refuses on its own as well.
    const reviewer = await createTestUser("REVIEWER");
    expect(
      await errorCodeOf(
        changeUserRole({ userId: reviewer.id, role: "ADMIN", expectedVersion: 1, actorId: reviewer.id }),
      ),
    ).toBe("auth:forbidden");
  });

  it("deactivate and reactivate: the account stops and starts signing in, each step audited", async () => {
    const admin = await createTestUser("ADMIN");
    const user = await createTestUser("USER", "a-user-password");
    const off = await setUserActive({ userId: user.id, active: false, expectedVersion: 1, actorId: admin.id });
    expect(off.active).toBe(false);
    expect(await authenticateWithPassword({ email: user.email, password: "a-user-password" })).toBeNull();
    const on = await setUserActive({ userId: user.id, active: true, expectedVersion: off.version, actorId: admin.id });
    expect(on.active).toBe(true);
    expect(await authenticateWithPassword({ email: user.email, password: "a-user-password" })).toBeTruthy();
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(["user.deactivated", "user.reactivated", "user.signed-in"]),
    );
  });

  it("a reset password is temporary; the user replaces it and the flag clears", async () => {
    const admin = await createTestUser("ADMIN");
    const user = await createTestUser("USER", "the-old-password");
    const reset = await resetUserPassword({
      userId: user.id,
      temporaryPassword: "a-temporary-one",
      expectedVersion: 1,
      actorId: admin.id,
    });
    expect(reset.passwordTemporary).toBe(true);
    expect(await authenticateWithPassword({ email: user.email, password: "the-old-password" })).toBeNull();
    expect(
      await errorCodeOf(
        changeOwnPassword({ userId: user.id, currentPassword: "wrong", newPassword: "my-own-password" }),
      ),
    ).toBe("user:wrong-password");
    expect(
      await errorCodeOf(
        changeOwnPassword({ userId: user.id, currentPassword: "a-temporary-one", newPassword: "a-temporary-one" }),
      ),
    ).toBe("request:invalid");
    await changeOwnPassword({ userId: user.id, currentPassword: "a-temporary-one", newPassword: "my-own-password" });
    const [row] = await database.query<{ passwordTemporary: boolean }>(
      `SELECT "passwordTemporary" FROM "User" WHERE id = $1`,
      [user.id],
    );
    expect(row?.passwordTemporary).toBe(false);
    expect(await authenticateWithPassword({ email: user.email, password: "my-own-password" })).toBeTruthy();
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(["user.password-reset", "user.password-changed"]),
    );
    const events = await database.query<{ data: unknown }>(`SELECT data FROM "AuditEvent" WHERE "targetId" = $1`, [
      user.id,
    ]);
    expect(JSON.stringify(events)).not.toMatch(/a-temporary-one|my-own-password/);
  });

  it("lists and searches users by name or email, with paging and filters", async () => {
    await createTestUser("REVIEWER");
    const all = await listUsers({ offset: 0, limit: 500 });
    expect(all.total).toBe(all.users.length);
    const found = await listUsers({ search: "NEW.PERSON", offset: 0, limit: 10 });
    expect(found.users.map((user) => user.email)).toEqual(["new.person@example.test"]);
    const reviewers = await listUsers({ role: "REVIEWER", offset: 0, limit: 500 });
    expect(reviewers.users.every((user) => user.role === "REVIEWER")).toBe(true);
    const inactive = await listUsers({ active: false, offset: 0, limit: 500 });
    expect(inactive.users.every((user) => !user.active)).toBe(true);
    const page = await listUsers({ offset: 1, limit: 1 });
    expect(page.users).toHaveLength(1);
    expect(page.users[0]?.id).toBe(all.users[1]?.id);
  });

  it("every change above left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });
});
