/**
 * `npm run bench:mcp`: what Airlock's gate adds to one MCP READ call, against the npm
 * registry's server-everything over stdio, everything in one process on the embedded
 * PostgreSQL.
 *
 *   direct     the SDK's Client calls server-everything's `echo` (its own stdio child).
 *   no call    a run whose (instant) model answers without calling a tool: sent → COMPLETED.
 *   MCP call   a run whose model calls `everything__echo` (confirmed READ) once, then answers:
 *              sent → COMPLETED. The call goes the engine's whole way: arguments validated
 *              against the server's schema, policy, the tool-call lifecycle, the call over
 *              Airlock's connection, the result committed, one more model step.
 *
 * The added per-call overhead is p50(MCP call) − p50(no call) − p50(direct): what the gate,
 * the lifecycle, the commits and the extra step cost on top of the call itself. Samples of
 * the three kinds are interleaved after a warm-up. It prints a table and, as its last
 * line, one JSON object with "mcpReadCallOverheadP50Ms". Options: --samples N (default 40),
 * --warm-up N (default 5).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { db } from "../server/db/client";
import { confirmMcpTool, createMcpServer, getMcpServer } from "../server/mcp/admin";
import { McpManager } from "../server/mcp/manager";
import { createToolCallModel } from "../server/mcp/testing/tool-call-model";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  testEngineDependencies,
} from "../server/testing/fixtures";
import { defaultToolRegistry } from "../server/tools/default-registry";
import { withBenchDatabase } from "./lib/database";
import { formatMs, percentile, printTable, round } from "./lib/stats";

const { values: args } = parseArgs({
  options: { samples: { type: "string", default: "40" }, "warm-up": { type: "string", default: "5" } },
});
const SAMPLES = Number(args.samples);
const WARM_UP = Number(args["warm-up"]);
const EVERYTHING = path.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");

function progress(message: string) {
  process.stderr.write(`${message}\n`);
}

const result = await withBenchDatabase(async () => {
  process.env.SECRETS_KEY ??= Buffer.alloc(32, 7).toString("base64");
  const admin = await createTestUser("ADMIN");
  const { id } = await createMcpServer({
    input: {
      transport: "STDIO",
      name: "everything",
      enabled: true,
      newToolMode: "NEEDS_APPROVAL",
      defaultRiskClass: null,
      callTimeoutMs: 10_000,
      command: process.execPath,
      args: [EVERYTHING],
      cwd: null,
      env: [],
    },
    actorId: admin.id,
  });
  const manager = new McpManager({ instanceId: "bench" });
  await manager.start();
  await manager.settled();
  const echo = (await getMcpServer({ serverId: id })).tools.find((tool) => tool.name === "everything__echo");
  if (!echo) throw new Error("server-everything listed no echo tool");
  await confirmMcpTool({
    toolId: echo.id,
    expectedVersion: echo.version,
    riskClass: "READ",
    confirmation: echo.name,
    actorId: admin.id,
  });
  await manager.reload();

  const direct = new Client({ name: "bench-direct", version: "1.0.0" });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING], stderr: "ignore" }));
  const worker = await startTestWorker({
    ...testEngineDependencies({ model: createToolCallModel() }),
    tools: defaultToolRegistry(),
  });
  const user = await createTestUser("USER");
  const timings = { direct: [] as number[], none: [] as number[], mcp: [] as number[] };
  try {
    const timeRun = async (text: string) => {
      const conversation = await createTestConversation(user.id);
      const started = performance.now();
      const runId = await sendTestMessage(user.id, conversation.id, text);
      const outcome = await worker.waitForRun(runId);
      const elapsed = performance.now() - started;
      if (outcome !== "COMPLETED") throw new Error(`run ${runId} ended ${outcome}`);
      return { runId, elapsed };
    };
    for (let sample = 0; sample < WARM_UP + SAMPLES; sample++) {
      const measured = sample >= WARM_UP;
      const startedDirect = performance.now();
      await direct.callTool({ name: "echo", arguments: { message: `sample ${sample}` } });
      const directMs = performance.now() - startedDirect;
      const none = await timeRun("say hello");
      const mcp = await timeRun(`call everything__echo {"message":"sample ${sample}"}`);
      const call = await db().toolCall.findFirstOrThrow({ where: { runId: mcp.runId }, select: { status: true } });
      if (call.status !== "SUCCEEDED") throw new Error(`the MCP call ended ${call.status}`);
      if (measured) {
        timings.direct.push(directMs);
        timings.none.push(none.elapsed);
        timings.mcp.push(mcp.elapsed);
      }
      if (sample % 10 === 0) progress(`sample ${sample + 1}/${WARM_UP + SAMPLES}`);
    }
  } finally {
    await worker.stop();
    await direct.close();
    await manager.stop();
  }
  return timings;
});

const p = (values: number[], q: number) => percentile(values, q);
printTable(
  `One MCP READ call (server-everything echo over stdio), ${SAMPLES} samples each after ${WARM_UP} unmeasured`,
  ["what", "p50 ms", "p90 ms", "p99 ms"],
  [
    [
      "direct: SDK Client → server",
      formatMs(p(result.direct, 50)),
      formatMs(p(result.direct, 90)),
      formatMs(p(result.direct, 99)),
    ],
    [
      "run without a tool call",
      formatMs(p(result.none, 50)),
      formatMs(p(result.none, 90)),
      formatMs(p(result.none, 99)),
    ],
    ["run with one MCP call", formatMs(p(result.mcp, 50)), formatMs(p(result.mcp, 90)), formatMs(p(result.mcp, 99))],
  ],
);
const overhead = p(result.mcp, 50) - p(result.none, 50) - p(result.direct, 50);
console.log(`\nadded per-call overhead (p50 MCP run − p50 run without call − p50 direct): ${formatMs(overhead)} ms`);
console.log(
  JSON.stringify({
    mcpReadCallOverheadP50Ms: round(overhead),
    directCallP50Ms: round(p(result.direct, 50)),
    runWithCallP50Ms: round(p(result.mcp, 50)),
    runWithoutCallP50Ms: round(p(result.none, 50)),
  }),
);
process.exit(0);
