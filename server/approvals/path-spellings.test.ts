/**
 * One canonical form for path arguments: a DENY rule on a directory cannot be dodged by
 * spelling a path inside it differently (`./X/deny/p`, `X//deny/p`, `X/./deny/p`, …) —
 * not when the model proposes it, not when a reviewer submits it as an edit — for every
 * path field of every workspace tool. Through the real engine, worker, workspace tools,
 * approval and admin services, against the real database and a real directory.
 */

import { mkdtempSync } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AirlockError } from "../errors";
import { createTestConversation, createTestUser, sendTestMessage, waitForRunStatus } from "../testing/fixtures";
import { useIntegrationWorld } from "../testing/integration";
import { createToolRegistry } from "../tools/registry";
import { seedWorkspace } from "../tools/workspace/seed-workspace";
import { createWorkspaceTools } from "../tools/workspace/workspace-tools";
import { loadPolicy } from "./current-policy";
import { decideApproval } from "./decide-approval";
import { evaluateCall } from "./evaluate-call";
import { createRule, removeRule } from "./policy-admin";

// Made now, not in a hook: the workspace tools are built with their root when the world is declared.
const base = mkdtempSync(path.join(os.tmpdir(), "airlock-spellings-"));
const root = path.join(base, "workspace");
let adminId: string;

const DENIED_FILES = ["X/deny/p.txt", "X/deny/sub/q.md", "X/deny/a-b/c_d.json"];

const world = useIntegrationWorld({
  tools: createWorkspaceTools({ root }),
  async setUp() {
    await seedWorkspace(root);
    for (const file of [...DENIED_FILES, "X/ok/p.txt"]) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), `content of ${file}\n`);
    }
    adminId = (await createTestUser("ADMIN")).id;
  },
  async tearDown() {
    await rm(base, { recursive: true, force: true });
  },
});

/** The segments of a path joined the way a model or a reviewer might spell them: all resolve to the same path. */
function spellingOf(segments: string[]) {
  return fc
    .record({
      prefix: fc.constantFrom("", "./", "././", ".//"),
      separators: fc.array(fc.constantFrom("/", "//", "/./", "/.//", "///./"), {
        minLength: segments.length - 1,
        maxLength: segments.length - 1,
      }),
    })
    .map(
      ({ prefix, separators }) =>
        prefix +
        segments.map((segment, index) => (index === 0 ? segment : `${separators[index - 1]}${segment}`)).join(""),
    );
}

const deniedFile = fc.constantFrom(...DENIED_FILES).chain((file) => spellingOf(file.split("/")));
/** Spellings the schema refuses outright: they must never turn into an approval request either. */
const refusedSpelling = fc.constantFrom(
  "X/deny/../deny/p.txt",
  "X\\deny\\p.txt",
  "X/deny\\p.txt",
  "/X/deny/p.txt",
  "X/de\u006E\u0303y/p.txt", // a decomposed character: not NFC
  "X/deny\u200B/p.txt",
  "X\u2215deny/p.txt",
);
const anyDeniedSpelling = fc.oneof(
  deniedFile,
  deniedFile.map((spelling) => `${spelling}/`),
  deniedFile.map((spelling) => `${spelling}/.`),
  refusedSpelling,
);

async function denyRule(toolName: string, field: string) {
  return createRule({
    tools: world.deps.tools,
    rule: {
      toolName,
      description: `never touch X/deny (${toolName}.${field})`,
      conditions: [{ path: `args.${field}`, operator: "glob", value: "X/deny/**" }],
      effect: { decision: "DENY" },
      enabled: true,
    },
    actorId: adminId,
  });
}

async function filesUnderDeny(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string) => {
    for (const entry of await readdir(path.join(root, directory), { withFileTypes: true })) {
      const relative = path.posix.join(directory, entry.name);
      if (entry.isDirectory()) await walk(relative);
      else found.push(relative);
    }
  };
  await walk("X/deny");
  return found.sort();
}

describe("a DENY glob on a directory denies every spelling of a path inside it", () => {
  it("for every path field of every workspace tool, as the policy sees the validated arguments", async () => {
    const fields: [string, string, (value: string) => Record<string, unknown>][] = [
      ["read_file", "path", (value) => ({ path: value })],
      ["list_files", "path", (value) => ({ path: value })],
      ["search_files", "path", (value) => ({ path: value, query: "x" })],
      ["write_file", "path", (value) => ({ path: value, content: "x" })],
      ["edit_file", "path", (value) => ({ path: value, oldText: "a", newText: "b" })],
      ["move_file", "from", (value) => ({ from: value, to: "elsewhere.txt" })],
      ["move_file", "to", (value) => ({ from: "README.md", to: value })],
      ["delete_file", "path", (value) => ({ path: value })],
    ];
    const registry = createToolRegistry(createWorkspaceTools({ root }));
    for (const [toolName, field, argsFor] of fields) {
      const rule = await denyRule(toolName, field);
      const policy = await loadPolicy();
      try {
        await fc.assert(
          fc.asyncProperty(anyDeniedSpelling, async (spelling) => {
            const evaluation = await evaluateCall({
              toolName,
              tool: registry.get(toolName),
              args: argsFor(spelling),
              actor: { id: "someone", role: "USER" },
              policy,
              availableTools: () => [],
            });
            if (evaluation.ok) {
              expect(evaluation.decision.decision, `${toolName}.${field} = ${JSON.stringify(spelling)}`).toBe("DENY");
              // The validated arguments carry the canonical spelling, so policy and binding agree on it.
              expect((evaluation.input as Record<string, string>)[field]).toMatch(/^X\/deny(\/[^/]+)*$/);
            }
          }),
          { numRuns: 150, seed: 7 },
        );
      } finally {
        await removeRule({ id: rule.id, expectedVersion: rule.version, actorId: adminId });
      }
    }
  });

  it("when the call acts on an ancestor of the denied directory as a whole: a recursive delete, a directory move", async () => {
    const registry = createToolRegistry(createWorkspaceTools({ root }));
    const cases: [string, string, Record<string, unknown>, string][] = [
      ["delete_file", "path", { path: "X", recursive: true }, "DENY"],
      ["delete_file", "path", { path: "./", recursive: true }, "DENY"],
      ["delete_file", "path", { path: "X/ok", recursive: true }, "REQUIRE_APPROVAL"],
      ["move_file", "from", { from: "X", to: "Z" }, "DENY"],
      ["move_file", "to", { from: "X/ok", to: "X/deny" }, "DENY"],
      ["move_file", "from", { from: "X/ok/p.txt", to: "X/ok/q.txt" }, "REQUIRE_APPROVAL"],
    ];
    for (const [toolName, field, args, expected] of cases) {
      const rule = await denyRule(toolName, field);
      try {
        const evaluation = await evaluateCall({
          toolName,
          tool: registry.get(toolName),
          args,
          actor: { id: "someone", role: "USER" },
          policy: await loadPolicy(),
          availableTools: () => [],
        });
        expect(evaluation.ok && evaluation.decision.decision, `${toolName} ${JSON.stringify(args)}`).toBe(expected);
      } finally {
        await removeRule({ id: rule.id, expectedVersion: rule.version, actorId: adminId });
      }
    }
  });

  it("when the model proposes it through the engine, and when a reviewer submits it as an edit", async () => {
    const rule = await denyRule("delete_file", "path");
    try {
      const user = await createTestUser("USER");
      const reviewer = await createTestUser("REVIEWER");
      const before = await filesUnderDeny();
      expect(before).toEqual([...DENIED_FILES].sort());

      await fc.assert(
        fc.asyncProperty(deniedFile, async (spelling) => {
          const conversation = await createTestConversation(user.id);
          const runId = await sendTestMessage(user.id, conversation.id, `delete ${spelling}`);
          await waitForRunStatus(runId, ["COMPLETED", "FAILED", "AWAITING_APPROVAL"]);
          const calls = await world.database.query<{ status: string; error: string | null; args: { path: string } }>(
            `SELECT status, error, args FROM "ToolCall" WHERE "runId" = $1`,
            [runId],
          );
          const [proposed] = await world.database.query<{ parts: { type: string; input?: { path: string } }[] }>(
            `SELECT parts FROM "Message" WHERE "runId" = $1 AND role = 'ASSISTANT' ORDER BY id LIMIT 1`,
            [runId],
          );
          // The model really sent this spelling; the stored call holds the canonical one.
          expect(proposed?.parts.find((part) => part.type === "tool-call")?.input?.path).toBe(spelling);
          expect(calls).toHaveLength(1);
          expect(calls[0]?.status, spelling).toBe("REFUSED");
          expect(calls[0]?.error).toMatch(/^Denied by policy/);
          expect(calls[0]?.args.path).toMatch(/^X\/deny\//);
          const requests = await world.database.query(`SELECT id FROM "ApprovalRequest" WHERE "runId" = $1`, [runId]);
          expect(requests).toHaveLength(0);
        }),
        { numRuns: 15, seed: 11 },
      );

      // A call the rule does not cover waits for a reviewer, who tries to point it into X/deny.
      const conversation = await createTestConversation(user.id);
      const runId = await sendTestMessage(user.id, conversation.id, "delete X/ok/p.txt");
      await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
      const [request] = await world.database.query<{ id: string }>(
        `SELECT id FROM "ApprovalRequest" WHERE "runId" = $1 AND status = 'PENDING'`,
        [runId],
      );
      if (!request) throw new Error("no pending request");
      await fc.assert(
        fc.asyncProperty(anyDeniedSpelling, async (spelling) => {
          let code = "OK";
          try {
            await decideApproval({
              requestId: request.id,
              reviewerId: reviewer.id,
              decision: { verdict: "approve", editedArgs: { path: spelling } },
              tools: world.deps.tools,
            });
          } catch (error) {
            if (!(error instanceof AirlockError)) throw error;
            code = error.code;
          }
          expect(["approval:edit-denied", "approval:invalid-edit"], JSON.stringify(spelling)).toContain(code);
        }),
        { numRuns: 100, seed: 13 },
      );
      const [after] = await world.database.query<{ status: string; editedArgs: unknown }>(
        `SELECT status, "editedArgs" FROM "ApprovalRequest" WHERE id = $1`,
        [request.id],
      );
      expect(after).toEqual({ status: "PENDING", editedArgs: null });
      expect(await filesUnderDeny()).toEqual(before);

      // An allowed edit is stored, bound and run in its canonical spelling.
      await decideApproval({
        requestId: request.id,
        reviewerId: reviewer.id,
        decision: { verdict: "approve", editedArgs: { path: ".//X/./ok//p.txt" } },
        tools: world.deps.tools,
      });
      await waitForRunStatus(runId, ["COMPLETED"]);
      const [edited] = await world.database.query<{ editedArgs: unknown; status: string }>(
        `SELECT "editedArgs", status FROM "ApprovalRequest" WHERE id = $1`,
        [request.id],
      );
      expect(edited).toEqual({ editedArgs: { path: "X/ok/p.txt", recursive: false }, status: "CONSUMED" });
      await expect(stat(path.join(root, "X/ok/p.txt"))).rejects.toThrow(/ENOENT/);
      expect(await filesUnderDeny()).toEqual(before);
    } finally {
      await removeRule({ id: rule.id, expectedVersion: rule.version, actorId: adminId });
    }
  });
});
