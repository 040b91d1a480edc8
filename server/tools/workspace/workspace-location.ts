/**
 * Where the workspace lives by default: next to the data directory, never inside it.
 * The data directory holds what forges sessions and decrypts secrets (auth-secret,
 * secrets-key, the database); a workspace inside it put them one `..` away from every
 * tool. `<AIRLOCK_DATA_DIR>-workspace` keeps one workspace per data directory (tests
 * and instances with their own data directory get their own) and out of it.
 *
 * Installs from before this default have their workspace at `<AIRLOCK_DATA_DIR>/workspace`:
 * on start it is moved to the new place when that is still free, so nothing is lost.
 */
import { existsSync, renameSync } from "node:fs";
import path from "node:path";

export function defaultWorkspaceRoot(dataDir: string): string {
  return `${path.resolve(dataDir)}-workspace`;
}

/** The default of earlier versions, inside the data directory. */
export function legacyWorkspaceRoot(dataDir: string): string {
  return path.join(path.resolve(dataDir), "workspace");
}

export type WorkspaceMove =
  | { kind: "none" }
  | { kind: "moved"; from: string; to: string }
  | { kind: "both-exist"; legacy: string; current: string }
  | { kind: "failed"; from: string; to: string; reason: string };

/** Moves a legacy default workspace to the new default; only when WORKSPACE_ROOT is not set. */
export function moveLegacyWorkspace(options: { dataDir: string; configuredRoot: string | undefined }): WorkspaceMove {
  if (options.configuredRoot !== undefined) return { kind: "none" };
  const from = legacyWorkspaceRoot(options.dataDir);
  const to = defaultWorkspaceRoot(options.dataDir);
  if (!existsSync(from)) return { kind: "none" };
  if (existsSync(to)) return { kind: "both-exist", legacy: from, current: to };
  try {
    renameSync(from, to);
    return { kind: "moved", from, to };
  } catch (error) {
    return { kind: "failed", from, to, reason: error instanceof Error ? error.message : String(error) };
  }
}

export function describeWorkspaceMove(move: WorkspaceMove): string | null {
  switch (move.kind) {
    case "none":
      return null;
    case "moved":
      return `Moved the workspace out of the data directory: ${move.from} → ${move.to}`;
    case "both-exist":
      return `Both ${move.legacy} (the old default, inside the data directory) and ${move.current} exist; using ${move.current}. Move or delete the old one.`;
    case "failed":
      return `Could not move the workspace ${move.from} to ${move.to} (${move.reason}); move it by hand or set WORKSPACE_ROOT.`;
  }
}
