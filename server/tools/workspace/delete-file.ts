/**
 * delete_file: delete a file, a symlink (never what it points to) or, with recursive, a
 * directory. DESTRUCTIVE; the preview lists what would go, with sizes. Idempotent: the
 * goal is "absent", so a retry that finds nothing reports that rather than failing.
 */
import { z } from "zod";
import { defineTool } from "../define-tool";
import { type Workspace, WorkspaceNotFoundError } from "./workspace";
import { formatSize, workspacePath } from "./workspace-path-schema";

export function createDeleteFileTool(workspace: Workspace) {
  return defineTool({
    name: "delete_file",
    description:
      "Delete a file or symlink in the workspace. To delete a directory and everything in it, set recursive to true.",
    input: z.object({ path: workspacePath, recursive: z.boolean().default(false) }),
    output: z.object({
      path: z.string(),
      deleted: z.boolean(),
      type: z.enum(["file", "directory", "symlink", "other"]).optional(),
    }),
    risk: "DESTRUCTIVE",
    idempotent: true,
    facts(input) {
      const relative = workspace.checkPath(input.path);
      // A recursive delete acts on everything inside the path: rules on paths inside it apply (policy/conditions.ts).
      // Named as the arguments spell it (canonical), which is what rule conditions on args.path see.
      return {
        path: relative,
        recursive: input.recursive,
        sensitive: workspace.isSensitive(relative),
        subtrees: input.recursive ? [input.path] : [],
      };
    },
    async preview(input) {
      const relative = workspace.checkPath(input.path);
      const { entries, truncated } = await workspace.inventory(relative);
      const files = entries.filter((entry) => entry.type !== "directory");
      const total = files.reduce((sum, entry) => sum + entry.size, 0);
      const lines = entries.map(
        (entry) =>
          `${entry.type === "directory" ? "dir " : entry.type === "symlink" ? "link" : "file"}  ${entry.type === "file" ? formatSize(entry.size).padStart(10) : "".padStart(10)}  ${entry.path}`,
      );
      return {
        summary:
          entries[0]?.type === "directory"
            ? `Delete directory ${relative} with ${files.length} file${files.length === 1 ? "" : "s"} (${formatSize(total)})`
            : `Delete ${relative} (${formatSize(total)})`,
        detail: `${lines.join("\n")}${truncated ? "\n… and more" : ""}`,
        format: "text",
      };
    },
    async execute(input, context) {
      const relative = workspace.checkPath(input.path);
      context.signal.throwIfAborted();
      try {
        const type = await workspace.remove(relative, { recursive: input.recursive });
        return { path: relative, deleted: true, type };
      } catch (error) {
        if (error instanceof WorkspaceNotFoundError && error.path === relative) {
          return { path: relative, deleted: false };
        }
        throw error;
      }
    },
  });
}
