/**
 * The workspace the file tools work in: one root directory, and every path checked
 * against it twice — as text (no `..`, no absolute paths, no NUL bytes or odd Unicode)
 * and on disk at the moment of use (the real path, symlinks resolved, must still be
 * inside the real root). Files are opened first and verified afterwards by comparing the
 * opened file's identity with the file at a verified path, so a symlink swapped in after
 * a preview or a check is caught rather than followed.
 *
 * Residual race: Node has no unlinkat/renameat, so delete and move act on a verified real
 * path; a directory *above* the target swapped for a symlink in the microseconds between
 * the check and the call is not caught. Reads and writes are not exposed to it.
 */
import { constants } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { compileSensitivePatterns, DEFAULT_SENSITIVE_PATTERNS, type PathMatcher } from "./sensitive-patterns";

export interface WorkspaceOptions {
  /** The directory the tools may touch; created when missing. */
  root: string;
  /** Gitignore-like patterns of files whose reading is SENSITIVE_READ. */
  sensitivePatterns?: readonly string[];
  /** read_file returns at most this many bytes of a file. */
  maxReadBytes?: number;
  /** write_file and edit_file refuse to produce a larger file. */
  maxWriteBytes?: number;
  /** list_files and delete previews stop after this many entries. */
  maxListEntries?: number;
  /** search_files skips files larger than this. */
  maxSearchFileBytes?: number;
}

export class WorkspacePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkspacePathError";
  }
}

/**
 * `path` (or, while resolving it, one of its directories: see `path`) names nothing in the
 * workspace; callers that accept that test for this class and its path, not the text.
 */
export class WorkspaceNotFoundError extends WorkspacePathError {
  constructor(readonly path: string) {
    super(`${path} does not exist.`);
    this.name = "WorkspaceNotFoundError";
  }
}

export type EntryType = "file" | "directory" | "symlink" | "other";

export interface WorkspaceEntry {
  /** Relative to the root, `/`-separated. */
  path: string;
  type: EntryType;
  size: number;
}

const MAX_PATH_CHARACTERS = 1024;
const MAX_SEGMENT_BYTES = 255;
const BINARY_SNIFF_BYTES = 8000;

// Control and format characters (bidi overrides, zero-width joiners), line/paragraph
// separators, private-use and unassigned code points, and spaces other than U+0020:
// none belongs in a file name an agent should touch, and all of them can make a path
// read differently to a reviewer than to the file system.
const ODD_CHARACTERS = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/u;
// Characters that look like `/`, `\` or `.` to a person.
const LOOKALIKE_SEPARATORS = /[\u2215\u2044\u29F8\uFF0F\uFF3C\u2024\uFE52\uFF0E\u3002]/u;

/** Checks a path as text and returns it relative to the root, `/`-separated, "" for the root. */
export function checkRelativePath(input: string): string {
  if (typeof input !== "string") throw new WorkspacePathError("The path must be a string.");
  if (input.includes("\0")) throw new WorkspacePathError("The path contains a NUL byte.");
  if (input.length > MAX_PATH_CHARACTERS) {
    throw new WorkspacePathError(`The path is longer than ${MAX_PATH_CHARACTERS} characters.`);
  }
  if (ODD_CHARACTERS.test(input)) {
    throw new WorkspacePathError("The path contains control, invisible or unusual space characters.");
  }
  if (LOOKALIKE_SEPARATORS.test(input)) {
    throw new WorkspacePathError("The path contains characters that look like a slash or a dot.");
  }
  if (input.normalize("NFC") !== input) {
    throw new WorkspacePathError("The path is not in Unicode normal form C; write it with composed characters.");
  }
  if (input.includes("\\")) throw new WorkspacePathError("Use `/` to separate directories, not `\\`.");
  if (input.startsWith("/") || path.isAbsolute(input) || /^[A-Za-z]:/.test(input)) {
    throw new WorkspacePathError("Absolute paths are not allowed: give a path relative to the workspace.");
  }
  const segments = input.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes(".."))
    throw new WorkspacePathError("`..` is not allowed: the path must stay in the workspace.");
  for (const segment of segments) {
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new WorkspacePathError(`A path segment is longer than ${MAX_SEGMENT_BYTES} bytes.`);
    }
    if (segment.trim() === "") throw new WorkspacePathError("A path segment is blank.");
  }
  return segments.join("/");
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
}

function entryType(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (stats.isSymbolicLink()) return "symlink";
  if (stats.isFile()) return "file";
  if (stats.isDirectory()) return "directory";
  return "other";
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/** NUL bytes, or bytes that are not UTF-8, within the first few kilobytes. */
export function looksBinary(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, BINARY_SNIFF_BYTES);
  if (head.includes(0)) return true;
  try {
    // A multi-byte character cut at the sniff boundary is not a sign of binary data.
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: head.length < bytes.length });
    return false;
  } catch {
    return true;
  }
}

export function createWorkspace(options: WorkspaceOptions) {
  const root = path.resolve(options.root);
  const sensitive: PathMatcher = compileSensitivePatterns(options.sensitivePatterns ?? DEFAULT_SENSITIVE_PATTERNS);
  const limits = {
    maxReadBytes: options.maxReadBytes ?? 256 * 1024,
    maxWriteBytes: options.maxWriteBytes ?? 1024 * 1024,
    maxListEntries: options.maxListEntries ?? 1000,
    maxSearchFileBytes: options.maxSearchFileBytes ?? 1024 * 1024,
  };

  async function realRoot(): Promise<string> {
    await mkdir(root, { recursive: true });
    return realpath(root);
  }

  function display(relative: string): string {
    return relative === "" ? "." : relative;
  }

  /** The real path of an existing entry (symlinks followed), verified to be inside the real root. */
  async function resolveExisting(relative: string): Promise<{ real: string; realRelative: string }> {
    const rootReal = await realRoot();
    let real: string;
    try {
      real = await realpath(path.join(root, relative));
    } catch (error) {
      if (errorCode(error) === "ENOENT") throw new WorkspaceNotFoundError(display(relative));
      if (errorCode(error) === "ELOOP") throw new WorkspacePathError(`${display(relative)} is a symlink loop.`);
      throw error;
    }
    if (!isInside(rootReal, real)) {
      throw new WorkspacePathError(`${display(relative)} resolves to a location outside the workspace.`);
    }
    return { real, realRelative: path.relative(rootReal, real).split(path.sep).join("/") };
  }

  /**
   * The entry itself (a final symlink is not followed), under a verified real parent:
   * what delete and move act on, so deleting a link never touches what it points to.
   */
  async function resolveEntry(relative: string): Promise<{ absolute: string; type: EntryType; size: number }> {
    if (relative === "") throw new WorkspacePathError("The workspace root itself cannot be changed.");
    const parent = path.posix.dirname(relative);
    const { real: parentReal } = await resolveExisting(parent === "." ? "" : parent);
    const absolute = path.join(parentReal, path.posix.basename(relative));
    try {
      const stats = await lstat(absolute);
      return { absolute, type: entryType(stats), size: stats.size };
    } catch (error) {
      if (errorCode(error) === "ENOENT") throw new WorkspaceNotFoundError(relative);
      throw error;
    }
  }

  /**
   * The real directory a new entry goes into, created when missing — under the real
   * path of its deepest existing ancestor, which is verified first.
   */
  async function prepareParent(relative: string): Promise<string> {
    const segments = relative.split("/").slice(0, -1);
    let existing = segments.length;
    let ancestorReal: string | undefined;
    while (ancestorReal === undefined) {
      try {
        ancestorReal = (await resolveExisting(segments.slice(0, existing).join("/"))).real;
      } catch (error) {
        if (!(error instanceof WorkspaceNotFoundError) || existing === 0) {
          throw error;
        }
        existing--;
      }
    }
    const missing = segments.slice(existing);
    const parentReal = path.join(ancestorReal, ...missing);
    if (missing.length > 0) await mkdir(parentReal, { recursive: true });
    const verified = await realpath(parentReal);
    if (!isInside(await realRoot(), verified) || (await stat(verified)).isDirectory() === false) {
      throw new WorkspacePathError(`The directory of ${relative} is outside the workspace.`);
    }
    return verified;
  }

  /** After opening: is the opened file the file at a path that is inside the workspace right now? */
  async function verifyOpened(
    handle: { stat(): Promise<{ dev: number; ino: number }> },
    relative: string,
  ): Promise<void> {
    const [opened, { real }] = await Promise.all([handle.stat(), resolveExisting(relative)]);
    const current = await stat(real);
    if (opened.dev !== current.dev || opened.ino !== current.ino) {
      throw new WorkspacePathError(`${display(relative)} changed while it was being opened (a swapped symlink?).`);
    }
  }

  async function readBytes(relative: string, maxBytes: number) {
    const { real, realRelative } = await resolveExisting(relative);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if (errorCode(error) === "ELOOP") {
        throw new WorkspacePathError(`${display(relative)} changed while it was being opened (a swapped symlink?).`);
      }
      throw error;
    }
    try {
      await verifyOpened(handle, relative);
      const stats = await handle.stat();
      if (!stats.isFile()) throw new WorkspacePathError(`${display(relative)} is not a regular file.`);
      const length = Math.min(stats.size, maxBytes);
      const buffer = Buffer.alloc(length);
      let offset = 0;
      while (offset < length) {
        const { bytesRead } = await handle.read(buffer, offset, length - offset, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return { bytes: buffer.subarray(0, offset), size: stats.size, truncated: stats.size > offset, realRelative };
    } finally {
      await handle.close();
    }
  }

  /** Entries of a directory (recursively when asked), symlinks listed but not followed. */
  async function list(relative: string, options: { recursive: boolean; signal?: AbortSignal }) {
    const { real } = await resolveExisting(relative);
    if (!(await stat(real)).isDirectory()) throw new WorkspacePathError(`${display(relative)} is not a directory.`);
    const entries: WorkspaceEntry[] = [];
    let truncated = false;
    const visit = async (directoryReal: string, directoryRelative: string): Promise<void> => {
      const children = (await readdir(directoryReal, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      for (const child of children) {
        options.signal?.throwIfAborted();
        if (entries.length >= limits.maxListEntries) {
          truncated = true;
          return;
        }
        const childRelative = directoryRelative === "" ? child.name : `${directoryRelative}/${child.name}`;
        const childAbsolute = path.join(directoryReal, child.name);
        const stats = await lstat(childAbsolute);
        entries.push({ path: childRelative, type: entryType(stats), size: stats.isFile() ? stats.size : 0 });
        if (options.recursive && stats.isDirectory() && child.name !== ".git" && child.name !== "node_modules") {
          await visit(childAbsolute, childRelative);
        }
      }
    };
    await visit(real, relative);
    return { entries, truncated };
  }

  return {
    root,
    limits,
    checkPath: checkRelativePath,
    isSensitive: (relative: string) => sensitive(relative),
    /** What policy sees of a call on one path: the canonical path and whether it is sensitive. */
    pathFacts(path: string) {
      const relative = checkRelativePath(path);
      return { path: relative, sensitive: sensitive(relative) };
    },

    async realRelative(relative: string): Promise<string> {
      return (await resolveExisting(relative)).realRelative;
    },

    /** A text file's content, up to maxBytes; refuses binary files. */
    async readText(relative: string, maxBytes = limits.maxReadBytes) {
      const { bytes, size, truncated, realRelative } = await readBytes(relative, maxBytes);
      if (looksBinary(bytes)) throw new WorkspacePathError(`${display(relative)} is a binary file (${size} bytes).`);
      // A cut in the middle of a multi-byte character would otherwise end in U+FFFD.
      const text = new TextDecoder("utf-8").decode(bytes, { stream: truncated });
      return { content: text, size, truncated, realRelative };
    },

    /** The whole file for editing, or undefined when it does not exist. Refuses binary and oversized files. */
    async readForEdit(relative: string): Promise<string | undefined> {
      try {
        await resolveExisting(relative);
      } catch (error) {
        if (error instanceof WorkspaceNotFoundError) return undefined;
        throw error;
      }
      const { bytes, size, truncated } = await readBytes(relative, limits.maxWriteBytes);
      if (truncated) {
        throw new WorkspacePathError(`${relative} is larger than ${limits.maxWriteBytes} bytes and cannot be edited.`);
      }
      if (looksBinary(bytes)) throw new WorkspacePathError(`${relative} is a binary file (${size} bytes).`);
      return new TextDecoder("utf-8").decode(bytes);
    },

    /** Replaces (or creates) a text file. The opened file is verified before anything is written. */
    async writeText(relative: string, content: string): Promise<{ bytes: number; created: boolean }> {
      if (relative === "") throw new WorkspacePathError("The workspace root is a directory, not a file.");
      const bytes = Buffer.from(content, "utf8");
      if (bytes.length > limits.maxWriteBytes) {
        throw new WorkspacePathError(`The new content is larger than ${limits.maxWriteBytes} bytes.`);
      }
      let target: string;
      try {
        // An existing file (or a symlink to one inside the workspace) is written in place.
        target = (await resolveExisting(relative)).real;
      } catch (error) {
        if (!(error instanceof WorkspaceNotFoundError)) throw error;
        target = path.join(await prepareParent(relative), path.posix.basename(relative));
      }
      let handle: Awaited<ReturnType<typeof open>>;
      let created = false;
      try {
        handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW);
        created = true;
      } catch (error) {
        if (errorCode(error) === "ELOOP") {
          throw new WorkspacePathError(`${relative} changed while it was being opened (a swapped symlink?).`);
        }
        if (errorCode(error) !== "EEXIST") throw error;
        try {
          // No O_TRUNC: nothing is cut until the opened file is verified.
          handle = await open(target, constants.O_WRONLY | constants.O_NOFOLLOW);
        } catch (inner) {
          if (errorCode(inner) === "ELOOP") {
            throw new WorkspacePathError(`${relative} changed while it was being opened (a swapped symlink?).`);
          }
          throw inner;
        }
      }
      try {
        await verifyOpened(handle, relative);
        if (!(await handle.stat()).isFile()) throw new WorkspacePathError(`${relative} is not a regular file.`);
        await handle.truncate(0);
        await handle.write(bytes, 0, bytes.length, 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { bytes: bytes.length, created };
    },

    list,

    /** What an entry is, without following a final symlink. */
    async describe(relative: string): Promise<WorkspaceEntry> {
      const entry = await resolveEntry(relative);
      return { path: relative, type: entry.type, size: entry.type === "file" ? entry.size : 0 };
    },

    /** The entry and, for a directory, everything under it: what a delete or move would take. */
    async inventory(relative: string): Promise<{ entries: WorkspaceEntry[]; truncated: boolean }> {
      const entry = await resolveEntry(relative);
      const top: WorkspaceEntry = { path: relative, type: entry.type, size: entry.type === "file" ? entry.size : 0 };
      if (entry.type !== "directory") return { entries: [top], truncated: false };
      const inside = await list(relative, { recursive: true });
      return { entries: [top, ...inside.entries], truncated: inside.truncated };
    },

    async remove(relative: string, options: { recursive: boolean }): Promise<EntryType> {
      const entry = await resolveEntry(relative);
      if (entry.type === "directory" && !options.recursive) {
        throw new WorkspacePathError(
          `${relative} is a directory: pass recursive: true to delete it with its contents.`,
        );
      }
      // fs.rm removes a symlink itself and never follows links inside a directory it removes.
      await rm(entry.absolute, { recursive: entry.type === "directory", force: false });
      return entry.type;
    },

    async move(from: string, to: string, options: { overwrite: boolean }): Promise<EntryType> {
      const source = await resolveEntry(from);
      if (to === "") throw new WorkspacePathError("The destination must not be the workspace root.");
      if (to === from || to.startsWith(`${from}/`)) {
        throw new WorkspacePathError("A directory cannot be moved into itself.");
      }
      const parent = await prepareParent(to);
      const destination = path.join(parent, path.posix.basename(to));
      const existing = await lstat(destination).catch((error: unknown) => {
        if (errorCode(error) === "ENOENT") return undefined;
        throw error;
      });
      if (existing && (!options.overwrite || existing.isDirectory())) {
        throw new WorkspacePathError(
          existing.isDirectory()
            ? `${to} is an existing directory.`
            : `${to} already exists: pass overwrite: true to replace it.`,
        );
      }
      await rename(source.absolute, destination);
      return source.type;
    },
  };
}

export type Workspace = ReturnType<typeof createWorkspace>;
