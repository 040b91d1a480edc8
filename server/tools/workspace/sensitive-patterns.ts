/**
 * Sensitive-file patterns (`.env*`, `*.pem`, `id_*`, `secrets/**`): which workspace paths
 * are SENSITIVE_READ. Gitignore-like, with two deliberate differences that both err on
 * the side of "sensitive": every pattern matches at any depth (a leading `/` anchors it to
 * the root), and a path is sensitive when it or any directory above it matches, so
 * `secrets` alone also covers everything inside. Matching ignores case, because
 * `.ENV` on a case-insensitive file system is the same file.
 */

export type PathMatcher = (relativePath: string) => boolean;

function escapeLiteral(character: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(character) ? `\\${character}` : character;
}

/** Translates one glob into a regular expression body over `/`-separated relative paths. */
function globToRegExpSource(glob: string): string {
  let source = "";
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index] as string;
    if (character === "*") {
      if (glob[index + 1] === "*") {
        const followedBySlash = glob[index + 2] === "/";
        source += followedBySlash ? "(?:.*/)?" : ".*";
        index += followedBySlash ? 2 : 1;
      } else {
        source += "[^/]*";
      }
    } else if (character === "?") {
      source += "[^/]";
    } else if (character === "[") {
      const end = glob.indexOf("]", index + 2);
      if (end === -1) {
        source += "\\[";
      } else {
        const body = glob.slice(index + 1, end).replace(/\\/g, "\\\\");
        source += body.startsWith("!") ? `[^/${body.slice(1)}]` : `[${body}]`;
        index = end;
      }
    } else {
      source += escapeLiteral(character);
    }
  }
  return source;
}

export function compileSensitivePatterns(patterns: readonly string[]): PathMatcher {
  const expressions = patterns
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== "")
    .map((pattern) => {
      const anchored = pattern.startsWith("/");
      const body = globToRegExpSource(pattern.replace(/^\/+/, "").replace(/\/+$/, ""));
      return new RegExp(`${anchored ? "^" : "^(?:.*/)?"}${body}$`, "i");
    });
  return (relativePath) => {
    const segments = relativePath.split("/").filter((segment) => segment !== "" && segment !== ".");
    // The path itself and every directory above it.
    for (let length = segments.length; length > 0; length--) {
      const candidate = segments.slice(0, length).join("/");
      if (expressions.some((expression) => expression.test(candidate))) return true;
    }
    return false;
  };
}

export const DEFAULT_SENSITIVE_PATTERNS = [".env*", "*.pem", "id_*", "secrets/**"] as const;
