/**
 * The zod type of a workspace path argument. It rejects escapes as text (`..`, absolute
 * paths, NUL bytes, odd Unicode) while the arguments are validated, so a bad path is an
 * argument error the model can fix, and it puts every accepted path in its one canonical
 * spelling (`./a//b/` → `a/b`, the root → `.`): policy, the approval's binding, the
 * preview and execution all see that string, so a rule on `X/deny/**` cannot be dodged by
 * spelling the path differently. The tools check the real path again at the moment of use.
 */
import { z } from "zod";
import { checkRelativePath, WorkspacePathError } from "./workspace";

/** The canonical spelling of a workspace path; throws WorkspacePathError for one it refuses. */
export function canonicalWorkspacePath(value: string): string {
  return checkRelativePath(value) || ".";
}

export const workspacePath = z
  .string()
  .max(1024, "The path is longer than 1024 characters.")
  .transform((value, context) => {
    try {
      return canonicalWorkspacePath(value);
    } catch (error) {
      if (!(error instanceof WorkspacePathError)) throw error;
      context.addIssue({ code: "custom", message: error.message });
      return z.NEVER;
    }
  })
  .describe("A path relative to the workspace root, with `/` between directories, e.g. src/index.ts");

export const workspaceEntrySchema = z.object({
  path: z.string(),
  type: z.enum(["file", "directory", "symlink", "other"]),
  size: z.number().int().nonnegative(),
});

/** `12 B`, `3.4 KiB`: sizes in previews a reviewer reads. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
