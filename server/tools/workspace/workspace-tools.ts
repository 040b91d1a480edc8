/** The workspace file tools, configured for one root: list, read, search, write, edit, move, delete. */
import type { AnyTool } from "../define-tool";
import { createDeleteFileTool } from "./delete-file";
import { createEditFileTool } from "./edit-file";
import { createListFilesTool } from "./list-files";
import { createMoveFileTool } from "./move-file";
import { createReadFileTool } from "./read-file";
import { createSearchFilesTool } from "./search-files";
import { createWorkspace, type WorkspaceOptions } from "./workspace";
import { createWriteFileTool } from "./write-file";

export function createWorkspaceTools(options: WorkspaceOptions): AnyTool[] {
  const workspace = createWorkspace(options);
  return [
    createListFilesTool(workspace),
    createReadFileTool(workspace),
    createSearchFilesTool(workspace),
    createWriteFileTool(workspace),
    createEditFileTool(workspace),
    createMoveFileTool(workspace),
    createDeleteFileTool(workspace),
  ];
}
