/**
 * read_file: a text file's content, up to the size limit. READ, or SENSITIVE_READ for
 * paths that match the sensitive patterns. A symlink whose target is sensitive is refused
 * (read the target by its own name): a call classified by its harmless-looking name must
 * not release a secret, whatever the link points to by the time it runs.
 */
import { z } from "zod";
import { defineTool } from "../define-tool";
import { type Workspace, WorkspacePathError } from "./workspace";
import { formatSize, workspacePath } from "./workspace-path-schema";

export function createReadFileTool(workspace: Workspace) {
  return defineTool({
    name: "read_file",
    description: `Read a text file from the workspace (at most ${formatSize(workspace.limits.maxReadBytes)}; longer files are cut and marked truncated).`,
    input: z.object({ path: workspacePath }),
    output: z.object({
      path: z.string(),
      size: z.number().int().nonnegative(),
      content: z.string(),
      truncated: z.boolean(),
    }),
    risk: "READ",
    idempotent: true,
    classify(input) {
      return workspace.isSensitive(workspace.checkPath(input.path)) ? "SENSITIVE_READ" : "READ";
    },
    facts: (input) => workspace.pathFacts(input.path),
    async preview(input) {
      const relative = workspace.checkPath(input.path);
      const entry = await workspace.describe(relative);
      return {
        summary: `Read ${relative} (${formatSize(entry.size)})`,
        detail: workspace.isSensitive(relative) ? `${relative} matches a sensitive-file pattern.` : undefined,
        format: "text",
      };
    },
    async execute(input, context) {
      const relative = workspace.checkPath(input.path);
      context.signal.throwIfAborted();
      const file = await workspace.readText(relative);
      if (!workspace.isSensitive(relative) && workspace.isSensitive(file.realRelative)) {
        throw new WorkspacePathError(
          `${relative} is a link to ${file.realRelative}, which is sensitive: read it by its own name.`,
        );
      }
      return { path: relative, size: file.size, content: file.content, truncated: file.truncated };
    },
  });
}
