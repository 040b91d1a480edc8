/**
 * Where a CPU profile's time went: `tsx bench/profile-summary.ts <file.cpuprofile> [rows]`
 * prints self time by function and by package (or file outside node_modules), for the
 * profiles bench:load --profile-dir writes.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, rowsArgument] = process.argv.slice(2);
if (!file) throw new Error("usage: tsx bench/profile-summary.ts <file.cpuprofile> [rows]");
const rows = Number(rowsArgument ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map<number, number>();
profile.samples.forEach((id, index) => {
  selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
});
const total = [...selfMs.values()].reduce((sum, value) => sum + value, 0);

function where(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.includes("/.next/")) return `.next: ${url.slice(url.lastIndexOf("/") + 1)}`;
  return url === "" ? "(native / V8)" : url.replace(/^file:\/\//, "");
}

function print(title: string, totals: Map<string, number>) {
  console.log(`\n${title} (of ${(total / 1000).toFixed(1)} s sampled)`);
  for (const [name, ms] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(`${((ms / total) * 100).toFixed(1).padStart(6)} %  ${(ms / 1000).toFixed(2).padStart(8)} s  ${name}`);
  }
}

const functions = new Map<string, number>();
const places = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  const name = `${frame.functionName || "(anonymous)"}  ${where(frame.url)}:${frame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + ms);
  places.set(where(frame.url), (places.get(where(frame.url)) ?? 0) + ms);
}
print("Self time by function", functions);
print("Self time by package or file", places);
