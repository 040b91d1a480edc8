/**
 * edit_file: replace an exact string in a text file. DESTRUCTIVE; the preview is the
 * unified diff. The old text must occur exactly once (or replaceAll is set), so the edit
 * the reviewer sees is the edit that happens. Not idempotent: once applied, the old text
 * may be gone or, worse, appear again inside the new text.
 */
import { z } from "zod";
import { defineTool } from "../define-tool";
import { unifiedDiff } from "./unified-diff";
import { type Workspace, WorkspacePathError } from "./workspace";
import { workspacePath } from "./workspace-path-schema";

function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let index = haystack.indexOf(needle); index !== -1; index = haystack.indexOf(needle, index + needle.length)) {
    count++;
  }
  return count;
}

export function applyEdit(
  content: string,
  edit: { path: string; oldText: string; newText: string; replaceAll: boolean },
): { content: string; replacements: number } {
  const count = countOccurrences(content, edit.oldText);
  if (count === 0) throw new WorkspacePathError(`The text to replace does not occur in ${edit.path}.`);
  if (count > 1 && !edit.replaceAll) {
    throw new WorkspacePathError(
      `The text to replace occurs ${count} times in ${edit.path}: include more surrounding text, or set replaceAll.`,
    );
  }
  return { content: content.split(edit.oldText).join(edit.newText), replacements: count };
}

export function createEditFileTool(workspace: Workspace) {
  const planEdit = async (input: { path: string; oldText: string; newText: string; replaceAll: boolean }) => {
    const relative = workspace.checkPath(input.path);
    const before = await workspace.readForEdit(relative);
    if (before === undefined) throw new WorkspacePathError(`${relative} does not exist.`);
    const after = applyEdit(before, { ...input, path: relative });
    if (Buffer.byteLength(after.content) > workspace.limits.maxWriteBytes) {
      throw new WorkspacePathError(`The edited file would be larger than ${workspace.limits.maxWriteBytes} bytes.`);
    }
    return { relative, before, after };
  };

  return defineTool({
    name: "edit_file",
    description:
      "Edit a text file in the workspace by replacing an exact piece of text (whitespace included) with new text. The old text must occur exactly once unless replaceAll is true.",
    input: z.object({
      path: workspacePath,
      oldText: z.string().min(1),
      newText: z.string(),
      replaceAll: z.boolean().default(false),
    }),
    output: z.object({ path: z.string(), replacements: z.number().int().positive(), bytes: z.number().int() }),
    risk: "DESTRUCTIVE",
    idempotent: false,
    facts: (input) => workspace.pathFacts(input.path),
    async preview(input) {
      const { relative, before, after } = await planEdit(input);
      const sensitive = workspace.isSensitive(relative);
      return {
        summary: `Edit ${relative}: ${after.replacements} replacement${after.replacements === 1 ? "" : "s"}`,
        detail: unifiedDiff({ path: relative, before, after: after.content, sensitive }),
        format: sensitive ? "text" : "diff",
      };
    },
    async execute(input, context) {
      const { relative, after } = await planEdit(input);
      context.signal.throwIfAborted();
      const written = await workspace.writeText(relative, after.content);
      return { path: relative, replacements: after.replacements, bytes: written.bytes };
    },
  });
}
