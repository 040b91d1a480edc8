/**
 * Schema migrations, applied and checked through the project's own Prisma CLI.
 *
 * We run the real `prisma migrate` rather than reimplementing it so that the
 * `_prisma_migrations` bookkeeping, checksums and locking stay Prisma's. The CLI is
 * configured by prisma.config.ts to use the bundled WASM schema engine, so nothing
 * is downloaded. Prisma does not read `.env` when a config file exists, which is why
 * every command gets DATABASE_URL explicitly.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { environmentForChild } from "../env";

const defaultTimeoutMilliseconds = 120_000;

export interface PrismaCommandOptions {
  databaseUrl: string;
  /** Directory holding prisma.config.ts and node_modules; found from this file when omitted. */
  projectRoot?: string;
  timeoutMilliseconds?: number;
}

export interface PrismaCommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * The directory with prisma.config.ts, searched upwards from this module so it is found
 * from the source tree and from a bundled copy under .next alike.
 */
export function findProjectRoot(startDirectory = path.dirname(fileURLToPath(import.meta.url))): string {
  let directory = startDirectory;
  while (!existsSync(path.join(directory, "prisma.config.ts"))) {
    const parent = path.dirname(directory);
    if (parent === directory) {
      throw new Error(`No prisma.config.ts found in ${startDirectory} or any directory above it.`);
    }
    directory = parent;
  }
  return directory;
}

/**
 * Runs the project's own Prisma CLI and captures its output. The CLI's JavaScript entry is
 * started with this process's Node rather than through its `#!/usr/bin/env node` line,
 * so it runs on the same Node version however PATH is set.
 */
export async function runPrismaCommand(
  prismaArguments: string[],
  options: PrismaCommandOptions,
): Promise<PrismaCommandResult> {
  const projectRoot = options.projectRoot ?? findProjectRoot();
  const prismaBinary = path.join(projectRoot, "node_modules", ".bin", "prisma");
  if (!existsSync(prismaBinary)) {
    throw new Error(`The Prisma CLI is missing at ${prismaBinary}: run \`npm install\` in ${projectRoot}.`);
  }
  const timeoutMilliseconds = options.timeoutMilliseconds ?? defaultTimeoutMilliseconds;

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [prismaBinary, ...prismaArguments], {
      cwd: projectRoot,
      env: environmentForChild({
        DATABASE_URL: options.databaseUrl,
        // The update check and telemetry would only time out on a closed network.
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
        NO_COLOR: "1",
      }),
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMilliseconds,
    });
    const stdoutChunks: Buffer[] = [];
    const stderrChunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdoutChunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderrChunks.push(chunk));
    child.on("error", reject);
    child.on("close", (exitCode, signal) => {
      const stdout = Buffer.concat(stdoutChunks).toString("utf8");
      const stderr = Buffer.concat(stderrChunks).toString("utf8");
      if (exitCode === null) {
        reject(
          new Error(
            `prisma ${prismaArguments.join(" ")} was stopped by ${signal ?? "a signal"}` +
              ` (timeout ${timeoutMilliseconds} ms).\n${stdout}${stderr}`,
          ),
        );
        return;
      }
      resolve({ exitCode, stdout, stderr });
    });
  });
}

function describeFailure(command: string, result: PrismaCommandResult): Error {
  const output = `${result.stdout}\n${result.stderr}`.trim();
  return new Error(`\`prisma ${command}\` failed with exit code ${result.exitCode}:\n${output}`);
}

/** Applies every pending migration in prisma/migrations; the database must already exist. */
export async function applyMigrations(options: PrismaCommandOptions): Promise<{ output: string }> {
  const result = await runPrismaCommand(["migrate", "deploy"], options);
  if (result.exitCode !== 0) {
    throw describeFailure("migrate deploy", result);
  }
  return { output: result.stdout };
}

export interface MigrationDrift {
  /** true when replaying prisma/migrations yields exactly prisma/schema.prisma. */
  inSync: boolean;
  /** Prisma's summary of what the migrations lack; "No difference detected." when in sync. */
  diff: string;
}

/**
 * Compares the committed migrations with the schema, replaying them in a throwaway
 * shadow database on the server DATABASE_URL points at. Drift means someone changed
 * schema.prisma without running `npm run db:migration -- <name>`.
 */
export async function checkMigrationDrift(options: PrismaCommandOptions): Promise<MigrationDrift> {
  const result = await runPrismaCommand(
    [
      "migrate",
      "diff",
      "--from-migrations",
      "prisma/migrations",
      "--to-schema-datamodel",
      "prisma/schema.prisma",
      "--exit-code",
    ],
    options,
  );
  // `--exit-code` contract: 0 no difference, 2 difference, anything else an error.
  if (result.exitCode === 0) return { inSync: true, diff: result.stdout.trim() };
  if (result.exitCode === 2) return { inSync: false, diff: result.stdout.trim() };
  throw describeFailure("migrate diff", result);
}
