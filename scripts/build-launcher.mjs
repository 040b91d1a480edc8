/**
 * Compiles the launcher (scripts/start.ts and the server modules it imports) into one
 * plain ES module, dist/start.mjs, so `npm start` serves without a TypeScript loader.
 * Packages stay imports of node_modules. Part of `npm run build`; scripts/start.mjs runs
 * it when the launcher's sources are newer than its output.
 */
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");

export const LAUNCHER_OUTPUT = path.join(root, "dist", "start.mjs");

await build({
  entryPoints: [path.join(root, "scripts", "start.ts")],
  outfile: LAUNCHER_OUTPUT,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  packages: "external",
  tsconfig: path.join(root, "tsconfig.json"),
  logLevel: "warning",
});
