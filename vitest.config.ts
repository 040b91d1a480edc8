import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["server/**/*.test.ts", "components/**/*.test.ts", "scripts/**/*.test.ts"],
    globalSetup: ["server/testing/global-setup.ts"],
    pool: "forks",
    // Vitest's default is one file at a time on 2 cores (availableParallelism − 1), while
    // most files spend their time waiting on PostgreSQL, child processes and the sandbox:
    // two at once keep both cores busy. Each file has its own database. (Three were tried:
    // on a machine already saturated by other work, tests ran past their hang timeouts.)
    maxWorkers: 2,
    // A stray .only would quietly run a fraction of the suite and report it green.
    allowOnly: false,
    // Only a hang reaches it: with several files at once on a shared 2-core machine, a test
    // that takes 10 s alone (process starts, campaigns) was seen past 30 s at a load of ~25.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
  },
});
