/** list_files: the entries of a workspace directory, with types and sizes. READ. */
import { z } from "zod";
import { defineTool } from "../define-tool";
import type { Workspace } from "./workspace";
import { workspaceEntrySchema, workspacePath } from "./workspace-path-schema";

export function createListFilesTool(workspace: Workspace) {
  return defineTool({
    name: "list_files",
    description:
      "List the files and directories in a workspace directory (default: the root), with sizes. Set recursive to include subdirectories.",
    input: z.object({
      path: workspacePath.prefault("."),
      recursive: z.boolean().default(false),
    }),
    output: z.object({
      path: z.string(),
      entries: z.array(workspaceEntrySchema),
      truncated: z.boolean(),
    }),
    risk: "READ",
    idempotent: true,
    async execute(input, context) {
      const relative = workspace.checkPath(input.path);
      const listing = await workspace.list(relative, { recursive: input.recursive, signal: context.signal });
      return { path: relative === "" ? "." : relative, ...listing };
    },
  });
}
