import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultWorkspaceRoot, legacyWorkspaceRoot, moveLegacyWorkspace } from "./workspace-location";

let base: string;
let dataDir: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "airlock-workspace-location-"));
  dataDir = path.join(base, "data");
  mkdirSync(dataDir);
  writeFileSync(path.join(dataDir, "auth-secret"), "secret");
});
afterEach(async () => rm(base, { recursive: true, force: true }));

describe("the default workspace", () => {
  it("sits next to the data directory, never inside it", () => {
    for (const spelling of [dataDir, `${dataDir}/`, `${dataDir}/./`, path.relative(process.cwd(), dataDir)]) {
      const root = defaultWorkspaceRoot(spelling);
      expect(root).toBe(`${dataDir}-workspace`);
      expect(path.relative(dataDir, root).startsWith("..")).toBe(true);
    }
  });

  it("moves an old workspace out of the data directory with its files", () => {
    mkdirSync(legacyWorkspaceRoot(dataDir));
    writeFileSync(path.join(legacyWorkspaceRoot(dataDir), "notes.md"), "kept");
    expect(moveLegacyWorkspace({ dataDir, configuredRoot: undefined })).toEqual({
      kind: "moved",
      from: legacyWorkspaceRoot(dataDir),
      to: defaultWorkspaceRoot(dataDir),
    });
    expect(readFileSync(path.join(defaultWorkspaceRoot(dataDir), "notes.md"), "utf8")).toBe("kept");
    expect(existsSync(legacyWorkspaceRoot(dataDir))).toBe(false);
    expect(existsSync(path.join(dataDir, "auth-secret"))).toBe(true);
    // A second start has nothing to move.
    expect(moveLegacyWorkspace({ dataDir, configuredRoot: undefined })).toEqual({ kind: "none" });
  });

  it("never overwrites a workspace already at the new place, nor touches a configured one", () => {
    mkdirSync(legacyWorkspaceRoot(dataDir));
    mkdirSync(defaultWorkspaceRoot(dataDir));
    writeFileSync(path.join(defaultWorkspaceRoot(dataDir), "current.md"), "current");
    expect(moveLegacyWorkspace({ dataDir, configuredRoot: undefined })).toMatchObject({ kind: "both-exist" });
    expect(readFileSync(path.join(defaultWorkspaceRoot(dataDir), "current.md"), "utf8")).toBe("current");
    expect(existsSync(legacyWorkspaceRoot(dataDir))).toBe(true);
    expect(moveLegacyWorkspace({ dataDir, configuredRoot: "/srv/work" })).toEqual({ kind: "none" });
  });
});
