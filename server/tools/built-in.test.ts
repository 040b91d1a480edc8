import { afterEach, describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv, resetEnvForTests } from "../env";
import { builtInTools, sqlTargetUrl, workspaceRoot } from "./built-in";

const DEMO_SCRIPT_TOOLS = [
  "list_files",
  "read_file",
  "search_files",
  "delete_file",
  "sql_query",
  "run_shell",
  "read_secret",
  "send_message",
];

afterEach(() => {
  resetEnvForTests();
});

describe("built-in tools", () => {
  it("are all there with no configuration, under the names the demo model uses", () => {
    const names = builtInTools()
      .list()
      .map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining([...DEMO_SCRIPT_TOOLS, "write_file", "edit_file", "move_file"]));
    expect(names).toHaveLength(11);
  });

  it("give every tool a default class, and previews to everything that needs approval", () => {
    for (const tool of builtInTools().list()) {
      expect(["READ", "SENSITIVE_READ", "DESTRUCTIVE"]).toContain(tool.risk);
      if (tool.risk !== "READ") expect(tool.preview, tool.name).toBeDefined();
    }
  });

  it("resolve the workspace and the demo database from the defaults", () => {
    process.env.DATABASE_URL = "postgresql://postgres:pw@127.0.0.1:54329/airlock";
    resetEnvForTests();
    expect(workspaceRoot()).toBe(`${process.cwd()}/.data-workspace`);
    expect(sqlTargetUrl()).toBe("postgresql://postgres:pw@127.0.0.1:54329/demo");
  });
});

describe("built-in tool configuration", () => {
  it("has defaults and parses lists", () => {
    const config = parseEnv({});
    expect(config.WORKSPACE_SENSITIVE_PATTERNS).toEqual([".env*", "*.pem", "id_*", "secrets/**"]);
    expect(config.SQL_SENSITIVE_TABLES).toEqual(["payment_methods"]);
    expect(config.SHELL_READ_ALLOWLIST).toBeUndefined();
    expect(parseEnv({ SQL_SENSITIVE_TABLES: "a, hr.salaries ," }).SQL_SENSITIVE_TABLES).toEqual(["a", "hr.salaries"]);
  });

  it("names the variable when a value is wrong", () => {
    const problems = (source: Record<string, string>) => {
      try {
        parseEnv(source);
        return [];
      } catch (error) {
        return error instanceof ConfigurationError ? error.problems : [String(error)];
      }
    };
    expect(problems({ SECRETS_KEY: "short" })[0]).toMatch(/^SECRETS_KEY: expected 32 random bytes in base64/);
    expect(problems({ SMTP_URL: "mail.example.com" })[0]).toMatch(/^SMTP_URL: expected an SMTP URL/);
    expect(problems({ SQL_TARGET_URL: "mysql://x" })[0]).toMatch(/^SQL_TARGET_URL: expected a PostgreSQL URL/);
    expect(problems({ OUTBOX_WEBHOOK_URL: "not a url" })[0]).toMatch(/^OUTBOX_WEBHOOK_URL:/);
    expect(problems({ SECRETS_KEY: Buffer.alloc(32, 7).toString("base64") })).toEqual([]);
  });
});
