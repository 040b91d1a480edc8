import { existsSync } from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, oidcIssuer } from "./e2e/oidc-provider";

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;

/** The browser: CHROMIUM_PATH, then Debian's Chromium, then Playwright's own download. */
function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined;
}

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  // A stray test.only would quietly run a fraction of the suite and report it green.
  forbidOnly: true,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    viewport: { width: 1440, height: 900 },
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1440, height: 900 },
        launchOptions: {
          executablePath: chromiumPath(),
          args: [
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
          ],
        },
      },
    },
  ],
  webServer: {
    // The README's own start path, on a fresh data directory: embedded Postgres, migrations, seed, build, serve.
    command: "rm -rf .data/e2e .data/e2e-workspace && npm start",
    url: `${baseURL}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(port),
      AIRLOCK_DATA_DIR: ".data/e2e",
      // Any free port: a Postgres still shutting down from an earlier run must not block this one.
      EMBEDDED_POSTGRES_PORT: process.env.E2E_POSTGRES_PORT ?? "0",
      NEXT_TELEMETRY_DISABLED: "1",
      DEMO_MODEL_TOKEN_DELAY_MS: "25",
      SIGNIN_MAX_FAILURES: "5",
      // Single sign-on against the real OpenID Provider that e2e/oidc.spec.ts runs (e2e/oidc-provider.ts).
      OIDC_ISSUER: oidcIssuer(port),
      OIDC_CLIENT_ID,
      OIDC_CLIENT_SECRET,
      OIDC_NAME: "Local OpenID Provider",
      LOG_LEVEL: "warn",
    },
  },
});
