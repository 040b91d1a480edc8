/**
 * write_file: create or replace a text file. DESTRUCTIVE; the preview is the unified diff
 * against the file as it is now. Idempotent: writing the same content again leaves the
 * same file, so a retried execution is harmless.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { defineTool } from "../define-tool";
import { unifiedDiff } from "./unified-diff";
import type { Workspace } from "./workspace";
import { formatSize, workspacePath } from "./workspace-path-schema";

export function createWriteFileTool(workspace: Workspace) {
  return defineTool({
    name: "write_file",
    description:
      "Create a text file in the workspace, or replace its whole content. Parent directories are created. Prefer edit_file for small changes to an existing file.",
    input: z.object({
      path: workspacePath,
      content: z.string().max(workspace.limits.maxWriteBytes),
    }),
    output: z.object({
      path: z.string(),
      bytes: z.number().int().nonnegative(),
      created: z.boolean(),
      sha256: z.string(),
    }),
    risk: "DESTRUCTIVE",
    idempotent: true,
    facts: (input) => workspace.pathFacts(input.path),
    async preview(input) {
      const relative = workspace.checkPath(input.path);
      const before = await workspace.readForEdit(relative);
      return {
        summary: `${before === undefined ? "Create" : "Replace"} ${relative} (${formatSize(Buffer.byteLength(input.content))})`,
        detail: unifiedDiff({
          path: relative,
          before,
          after: input.content,
          sensitive: workspace.isSensitive(relative),
        }),
        format: workspace.isSensitive(relative) ? "text" : "diff",
      };
    },
    async execute(input, context) {
      const relative = workspace.checkPath(input.path);
      context.signal.throwIfAborted();
      const written = await workspace.writeText(relative, input.content);
      return {
        path: relative,
        bytes: written.bytes,
        created: written.created,
        sha256: createHash("sha256").update(input.content).digest("hex"),
      };
    },
  });
}
