/**
 * The zod type of a workspace path argument. It rejects escapes as text (`..`, absolute
 * paths, NUL bytes, odd Unicode) while the arguments are validated, so a bad path is an
 * argument error the model can fix; the tools check the real path again at the moment of use.
 */
import { z } from "zod";
import { checkRelativePath, WorkspacePathError } from "./workspace";

export const workspacePath = z
  .string()
  .max(1024)
  .superRefine((value, context) => {
    try {
      checkRelativePath(value);
    } catch (error) {
      if (!(error instanceof WorkspacePathError)) throw error;
      context.addIssue({ code: "custom", message: error.message });
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
