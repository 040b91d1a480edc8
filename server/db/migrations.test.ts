import { describe, expect, inject, it } from "vitest";
import { checkMigrationDrift } from "./migrations";

describe("migrations", () => {
  it("prisma/schema.prisma and the committed migrations agree (no drift)", async () => {
    const serverUrl = new URL(inject("postgresServerUrl"));
    serverUrl.pathname = "/airlock_template";
    const drift = await checkMigrationDrift({ databaseUrl: serverUrl.toString() });
    expect(drift.diff).toBe("No difference detected.");
    expect(drift.inSync).toBe(true);
  }, 120_000);
});
