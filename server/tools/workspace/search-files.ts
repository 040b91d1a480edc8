/**
 * search_files: grep for a literal string across workspace text files. READ. It skips
 * sensitive files (reading those needs approval, which a search cannot ask for per file),
 * binary and oversized files, symlinks, `.git` and `node_modules`. Literal only: a regular
 * expression from the model could backtrack for minutes, and JavaScript cannot abort it.
 */
import { z } from "zod";
import { defineTool } from "../define-tool";
import type { Workspace } from "./workspace";
import { workspacePath } from "./workspace-path-schema";

const MAX_MATCHES = 200;
const MAX_LINE_CHARACTERS = 300;

export function createSearchFilesTool(workspace: Workspace) {
  return defineTool({
    name: "search_files",
    description:
      "Search the workspace's text files for a literal string (not a regular expression) and return matching lines with their file and line number.",
    input: z.object({
      query: z.string().min(1).max(500),
      path: workspacePath.prefault("."),
      caseSensitive: z.boolean().default(false),
    }),
    output: z.object({
      matches: z.array(z.object({ path: z.string(), line: z.number().int().positive(), text: z.string() })),
      filesSearched: z.number().int().nonnegative(),
      skippedSensitive: z.number().int().nonnegative(),
      truncated: z.boolean(),
    }),
    risk: "READ",
    idempotent: true,
    async execute(input, context) {
      const relative = workspace.checkPath(input.path);
      const { entries, truncated: listingTruncated } = await workspace.list(relative, {
        recursive: true,
        signal: context.signal,
      });
      const needle = input.caseSensitive ? input.query : input.query.toLowerCase();
      const matches: { path: string; line: number; text: string }[] = [];
      let filesSearched = 0;
      let skippedSensitive = 0;
      let truncated = listingTruncated;
      for (const entry of entries) {
        context.signal.throwIfAborted();
        if (entry.type !== "file" || entry.size > workspace.limits.maxSearchFileBytes) continue;
        if (workspace.isSensitive(entry.path)) {
          skippedSensitive++;
          continue;
        }
        let content: string;
        try {
          content = (await workspace.readText(entry.path, workspace.limits.maxSearchFileBytes)).content;
        } catch {
          continue; // binary, vanished or moved out of reach since the listing: not a match
        }
        filesSearched++;
        const lines = content.split("\n");
        for (const [index, line] of lines.entries()) {
          if (!(input.caseSensitive ? line : line.toLowerCase()).includes(needle)) continue;
          if (matches.length >= MAX_MATCHES) {
            truncated = true;
            break;
          }
          matches.push({ path: entry.path, line: index + 1, text: line.slice(0, MAX_LINE_CHARACTERS) });
        }
      }
      return { matches, filesSearched, skippedSensitive, truncated };
    },
  });
}
