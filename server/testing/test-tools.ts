/**
 * The tools the integration tests and the approval benchmark give the demo model: "delete
 * x.txt" makes it call the DESTRUCTIVE delete_file, which policy makes wait for a reviewer;
 * "show me x.txt" makes it call the READ read_file, which runs at once. They touch nothing;
 * each caller records the call in its own ledger, so "exactly once" is counted where the
 * effect would be, not in a status column.
 */
import { z } from "zod";
import { defineTool } from "../tools/define-tool";

export function createDeleteFileTool(options: {
  /** The effect: called once per execution, before the tool answers. */
  onDelete: (path: string) => void | Promise<void>;
  description?: string;
}) {
  return defineTool({
    name: "delete_file",
    description: options.description ?? "Delete a file in the workspace",
    input: z.object({ path: z.string().min(1) }),
    output: z.object({ deleted: z.string() }),
    risk: "DESTRUCTIVE",
    preview: async (input) => ({ summary: `Delete ${input.path}`, format: "text" }),
    async execute(input) {
      await options.onDelete(input.path);
      return { deleted: input.path };
    },
  });
}

export function createReadFileTool(options: {
  /** What the file "contains": a tool output is data, whatever it says. */
  contents: string;
  onRead?: (path: string) => void;
}) {
  return defineTool({
    name: "read_file",
    description: "Read a file",
    input: z.object({ path: z.string() }),
    output: z.string(),
    risk: "READ",
    async execute(input) {
      options.onRead?.(input.path);
      return options.contents;
    },
  });
}

/** A SENSITIVE_READ that says which part of its output is the released value: "read the X secret" calls it. */
export function createSecretReadTool(options: { valueOf: (name: string) => string }) {
  return defineTool({
    name: "read_secret",
    description: "Read a secret",
    input: z.object({ name: z.string() }),
    output: z.object({ name: z.string(), value: z.string() }),
    risk: "SENSITIVE_READ",
    sensitiveValues: (output) => [output.value],
    async execute(input) {
      return { name: input.name, value: options.valueOf(input.name) };
    },
  });
}
