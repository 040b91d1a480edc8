/**
 * move_file: move or rename a file, symlink or directory inside the workspace.
 * DESTRUCTIVE; the preview lists what moves, with sizes, and what it would replace.
 */
import { z } from "zod";
import { defineTool } from "../define-tool";
import type { Workspace } from "./workspace";
import { formatSize, workspacePath } from "./workspace-path-schema";

export function createMoveFileTool(workspace: Workspace) {
  return defineTool({
    name: "move_file",
    description:
      "Move or rename a file or directory inside the workspace. Fails if the destination exists, unless overwrite is true (files only).",
    input: z.object({ from: workspacePath, to: workspacePath, overwrite: z.boolean().default(false) }),
    output: z.object({ from: z.string(), to: z.string(), type: z.enum(["file", "directory", "symlink", "other"]) }),
    risk: "DESTRUCTIVE",
    idempotent: false,
    async facts(input) {
      const from = workspace.checkPath(input.from);
      const to = workspace.checkPath(input.to);
      // Moving a directory moves everything inside it, from one tree into the other: rules on paths
      // inside either apply (policy/conditions.ts). Policy runs again right before execution.
      const type = await workspace.describe(from).then(
        (entry) => entry.type,
        () => undefined,
      );
      const subtrees = type === "directory" ? [input.from, input.to] : [];
      return { from, to, sensitive: workspace.isSensitive(from) || workspace.isSensitive(to), subtrees };
    },
    async preview(input) {
      const from = workspace.checkPath(input.from);
      const to = workspace.checkPath(input.to);
      const { entries, truncated } = await workspace.inventory(from);
      const replaced = await workspace.describe(to).catch(() => undefined);
      const lines = entries.map((entry) => {
        const target = `${to}${entry.path.slice(from.length)}`;
        return `${entry.type === "file" ? formatSize(entry.size).padStart(10) : entry.type.padStart(10)}  ${entry.path} → ${target}`;
      });
      if (replaced) lines.push(`replaces ${replaced.type} ${to} (${formatSize(replaced.size)})`);
      if (workspace.isSensitive(from) && !workspace.isSensitive(to)) {
        lines.push(`warning: ${from} is sensitive and ${to} is not: afterwards it can be read without approval`);
      }
      return {
        summary: `Move ${from} to ${to}${replaced ? " (replacing it)" : ""}`,
        detail: `${lines.join("\n")}${truncated ? "\n… and more" : ""}`,
        format: "text",
      };
    },
    async execute(input, context) {
      const from = workspace.checkPath(input.from);
      const to = workspace.checkPath(input.to);
      context.signal.throwIfAborted();
      const type = await workspace.move(from, to, { overwrite: input.overwrite });
      return { from, to, type };
    },
  });
}
