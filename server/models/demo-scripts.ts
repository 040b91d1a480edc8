/**
 * What the demo model says and does. Plain requests map to tool calls on the tools that
 * are offered (so the whole product can be tried offline and e2e tests are
 * deterministic); anything else gets a helpful Markdown answer.
 */

export interface ScriptedToolCall {
  toolName: string;
  input: Record<string, unknown>;
}

interface ToolScript {
  pattern: RegExp;
  calls: (match: RegExpMatchArray) => ScriptedToolCall[];
}

const FILE_NAME = String.raw`([\w./-]+\.[A-Za-z0-9]+|[\w./-]+/)`;

/** The JSON object a request spells out, or null when it is not one. */
function jsonObject(text: string | undefined): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text ?? "");
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Order matters: the first pattern that matches wins. */
const TOOL_SCRIPTS: ToolScript[] = [
  {
    // Any tool by its name, imported MCP tools (`<server>__<tool>`) included: "use files__read_text_file with {"path": "a.txt"}".
    pattern: /^\s*use\s+`?([A-Za-z][\w-]*)`?\s+with\s+(\{[\s\S]*\})\s*$/i,
    calls: (match) => {
      const input = jsonObject(match[2]);
      return input && match[1] ? [{ toolName: match[1], input }] : [];
    },
  },
  {
    // Two calls in one step: they run in parallel.
    pattern: new RegExp(String.raw`\blist the files and (?:show|read)(?: me)? ${FILE_NAME}`, "i"),
    calls: (match) => [
      { toolName: "list_files", input: { path: "." } },
      { toolName: "read_file", input: { path: match[1] } },
    ],
  },
  {
    pattern: /\b(list|show)\b.*\b(files|workspace)\b/i,
    calls: () => [{ toolName: "list_files", input: { path: "." } }],
  },
  {
    pattern: new RegExp(String.raw`\b(?:delete|remove)\s+(?:the\s+file\s+)?${FILE_NAME}`, "i"),
    calls: (match) => [{ toolName: "delete_file", input: { path: match[1] } }],
  },
  {
    pattern: new RegExp(String.raw`\b(?:show|read|open|cat)\b(?:\s+me)?\s+(?:the\s+file\s+)?${FILE_NAME}`, "i"),
    calls: (match) => [{ toolName: "read_file", input: { path: match[1] } }],
  },
  {
    pattern: /\bsearch\b.*\bfor\s+["']?([^"']+?)["']?\s*$/i,
    calls: (match) => [{ toolName: "search_files", input: { query: match[1] } }],
  },
  {
    pattern: /\bhow many orders\b/i,
    calls: () => [
      {
        toolName: "sql_query",
        input: {
          sql: "SELECT count(*) AS orders FROM orders WHERE created_at >= date_trunc('month', now()) - interval '1 month' AND created_at < date_trunc('month', now())",
        },
      },
    ],
  },
  {
    pattern: /\bdelete\s+test\s+customers\b/i,
    calls: () => [{ toolName: "sql_query", input: { sql: "DELETE FROM customers WHERE email LIKE '%@example.test'" } }],
  },
  {
    pattern: /\brun\s+`?([^`]+?)`?\s*$/i,
    calls: (match) => [{ toolName: "run_shell", input: { command: match[1] } }],
  },
  {
    pattern: /\bread\s+the\s+([A-Z][A-Z0-9_]*)\s+secret\b/,
    calls: (match) => [{ toolName: "read_secret", input: { name: match[1] } }],
  },
  {
    pattern: /\bemail\s+the\s+(\w+)\s+to\s+([^\s]+@[^\s]+)/i,
    calls: (match) => [
      {
        toolName: "send_message",
        input: {
          to: match[2]?.replace(/[.,;]$/, ""),
          subject: `The ${match[1]}`,
          body: `Hello,\n\nplease find the ${match[1]} below.\n\n— sent by Airlock's demo agent`,
        },
      },
    ],
  },
];

export function scriptToolCalls(userText: string, offeredTools: ReadonlySet<string>): ScriptedToolCall[] | undefined {
  for (const script of TOOL_SCRIPTS) {
    const match = userText.match(script.pattern);
    if (!match) continue;
    const calls = script.calls(match);
    if (calls.length > 0 && calls.every((call) => offeredTools.has(call.toolName))) return calls;
  }
  return undefined;
}

export interface ToolOutcome {
  toolName: string;
  output: unknown;
  isError: boolean;
}

function fenced(text: string, language = ""): string {
  const fence = text.includes("```") ? "~~~" : "```";
  return `${fence}${language}\n${text}\n${fence}`;
}

function cell(value: unknown): string {
  const text =
    value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ").slice(0, 80);
}

/** Readable Markdown for the result shapes of the built-in tools; JSON for anything else. */
function renderValue(value: unknown): string {
  if (typeof value === "string") return value.length > 0 ? fenced(value) : "_(empty)_";
  const record = (value ?? {}) as Record<string, unknown>;
  if (Array.isArray(record.entries)) {
    const entries = record.entries as { path?: string; type?: string; size?: number }[];
    if (entries.length === 0) return "_(no files)_";
    return entries
      .map(
        (entry) =>
          `- \`${entry.path}\`${entry.type === "directory" ? " (folder)" : entry.size !== undefined ? ` — ${entry.size} B` : ""}`,
      )
      .join("\n");
  }
  if (typeof record.content === "string") return fenced(record.content);
  if (Array.isArray(record.statements)) {
    return (
      record.statements as { command?: string; columns?: string[]; rows?: unknown[][]; rowCount?: number | null }[]
    )
      .map((statement) => {
        const columns = statement.columns ?? [];
        const rows = statement.rows ?? [];
        if (columns.length === 0) return `${statement.command ?? "Statement"}: ${statement.rowCount ?? 0} row(s)`;
        const header = `| ${columns.map(cell).join(" | ")} |\n| ${columns.map(() => "---").join(" | ")} |`;
        const body = rows
          .slice(0, 20)
          .map((row) => `| ${row.map(cell).join(" | ")} |`)
          .join("\n");
        return `${header}${body ? `\n${body}` : ""}${rows.length > 20 ? `\n\n…and ${rows.length - 20} more rows` : ""}`;
      })
      .join("\n\n");
  }
  if (typeof record.stdout === "string") {
    const output =
      `${record.stdout}${typeof record.stderr === "string" && record.stderr ? `\n${record.stderr}` : ""}`.trim();
    return `${output ? fenced(output) : "_(no output)_"}\nExit code: ${record.exitCode ?? "none"}`;
  }
  return fenced(JSON.stringify(value, null, 2), "json");
}

/**
 * How the demo model words an error result, by how the engine's text for it begins
 * (tool-calls.ts OUTCOME_TEXT): a call whose outcome is unknown may have taken effect and
 * must never be reported as not run; a failed call ran and failed.
 */
const ERROR_WORDING: { prefix: string; verb: string }[] = [
  { prefix: "Outcome unknown", verb: "may have run (its outcome is unknown)" },
  { prefix: "Error:", verb: "failed" },
];

function describeError(toolName: string, output: unknown): string {
  const text = typeof output === "string" ? output : JSON.stringify(output);
  const verb = ERROR_WORDING.find((wording) => text.startsWith(wording.prefix))?.verb ?? "did not run";
  return `**${toolName}** ${verb}: ${text}`;
}

/** A plain result that says the call did not run (a reviewer rejected it): read as a model would read it. */
function notExecuted(output: unknown): output is string {
  return typeof output === "string" && output.startsWith("Not executed:");
}

export function summarizeToolOutcomes(outcomes: ToolOutcome[]): string {
  const sections = outcomes.map((outcome) =>
    outcome.isError
      ? describeError(outcome.toolName, outcome.output)
      : notExecuted(outcome.output)
        ? `**${outcome.toolName}** did not run: ${outcome.output}`
        : `**${outcome.toolName}** returned:\n\n${renderValue(outcome.output)}`,
  );
  return `${sections.join("\n\n")}\n\nAnything else I should do?`;
}

const LONG_STORY = Array.from(
  { length: 12 },
  (_, index) =>
    `${index + 1}. The airlock cycled again, and the agent waited for a human to say yes before it touched anything that mattered.`,
).join("\n");

export function scriptReply(userText: string, offeredTools: ReadonlySet<string>): string {
  const trimmed = userText.trim();
  if (/\b(long|story)\b/i.test(trimmed)) {
    return `Here is a long answer, streamed token by token:\n\n${LONG_STORY}\n\nThat is the end of the story.`;
  }
  if (/^(hi|hello|hey)\b/i.test(trimmed)) {
    return "Hello! I am Airlock's **demo model**: I run offline and answer from a script, but I call the same tools, through the same policy gate, as a real model would.";
  }
  const toolList =
    offeredTools.size > 0
      ? [...offeredTools]
          .sort()
          .map((name) => `- \`${name}\``)
          .join("\n")
      : "- _(no tools are enabled for this conversation)_";
  const quoted = trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
  return [
    `You said: "${quoted}"`,
    "",
    "I am the **demo model**, so I answer from a script rather than understanding free text. Things I can do here:",
    "",
    toolList,
    "",
    "Try, for example:",
    "",
    "```text",
    "list the files",
    "show me README.md",
    "delete old-notes.md",
    "run ls -la",
    "```",
  ].join("\n");
}
