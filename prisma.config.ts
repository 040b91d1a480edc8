/**
 * Prisma CLI configuration. Prisma is pinned to exactly 6.19.3 (prisma, @prisma/client,
 * @prisma/adapter-pg): it is the last version whose `migrate` runs offline, through the
 * WASM schema engine bundled in the npm package plus a driver adapter. Prisma 7's
 * migrate downloads a native schema-engine binary from Prisma's servers, which this
 * project's machines cannot reach. Revisit when Prisma ships an offline migrate route.
 *
 * Prisma does not load `.env` when a config file exists, so DATABASE_URL must come from
 * the environment (npm scripts and server/db/migrations.ts pass it explicitly).
 */
import { defineConfig } from "prisma/config";
import { createCliAdapter } from "./server/db/prisma-cli-adapter";

const databaseUrl = process.env.DATABASE_URL;
// Checked here, when the config loads, rather than in adapter(): Prisma resolves
// schema.prisma's env("DATABASE_URL") first, and when it is missing it tries to download
// a query engine (ENOTFOUND offline) instead of naming the variable.
if (databaseUrl === undefined || databaseUrl === "") {
  throw new Error(
    "DATABASE_URL is not set. Migrate commands need a running PostgreSQL, e.g. " +
      "DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/airlock npx prisma migrate status; " +
      "`prisma generate` connects to nothing but still needs the variable set to a postgresql:// URL.",
  );
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  async adapter() {
    return createCliAdapter(databaseUrl);
  },
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
