/**
 * `npm start` (and the production command `node scripts/start.mjs`): runs the compiled
 * launcher in this process, compiling it first when it is missing or older than its
 * sources (a one-time set-up step in a child process). Plain JavaScript: nothing here
 * needs a TypeScript loader. See scripts/start.ts for what the launcher does.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// glibc gives every thread that allocates its own malloc arena (up to 8 per core), and
// Node's threads (libuv's pool, V8's helpers) each keep one resident, mostly empty: with
// two arenas the same process held 12 MB less under steady traffic (bench:idle, README).
// The variable is read when the process starts, so this process replaces itself once
// with it set: same pid, same arguments, nothing started yet (process.execve, Node ≥ 22.15).
if (process.platform === "linux" && process.env.MALLOC_ARENA_MAX === undefined && process.execve) {
  process.execve(process.execPath, [process.argv0, ...process.execArgv, ...process.argv.slice(1)], {
    ...process.env,
    MALLOC_ARENA_MAX: "2",
  });
}

const root = path.resolve(import.meta.dirname, "..");
const launcher = path.join(root, "dist", "start.mjs");
/** What the bundle is built from: the launcher and the server modules it imports. */
const LAUNCHER_SOURCES = ["scripts/start.ts", "scripts/build-launcher.mjs", "server", "package.json", "tsconfig.json"];

function newestTime(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(full)) {
    if (child === "node_modules" || child === "generated") continue;
    newest = Math.max(newest, newestTime(path.join(entry, child)));
  }
  return newest;
}

function launcherIsCurrent() {
  if (!existsSync(launcher)) return false;
  const built = statSync(launcher).mtimeMs;
  return LAUNCHER_SOURCES.every((entry) => newestTime(entry) <= built);
}

if (!launcherIsCurrent()) {
  const compiled = spawnSync(process.execPath, [path.join(root, "scripts", "build-launcher.mjs")], {
    cwd: root,
    stdio: "inherit",
  });
  if (compiled.status !== 0) {
    process.stderr.write("\n[airlock] Could not compile the launcher (scripts/start.ts); see the output above.\n\n");
    process.exit(1);
  }
}

await import(pathToFileURL(launcher).href);
