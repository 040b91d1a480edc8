/** Evaluates one rule condition against a call. Pure; throws on a condition it cannot evaluate. */
import type { ConditionValue, Facts, RuleCondition } from "./types";

export interface ConditionSubject {
  args: unknown;
  facts: Facts;
  actor: { role: string };
}

function lookup(root: unknown, segments: string[]): unknown {
  let current = root;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export function resolvePath(subject: ConditionSubject, path: string): unknown {
  const [head, ...rest] = path.split(".");
  switch (head) {
    case "args":
      return lookup(subject.args, rest);
    case "facts":
      return lookup(subject.facts, rest);
    case "actor":
      return lookup(subject.actor, rest);
    default:
      throw new Error(`unknown condition path "${path}" (use args.…, facts.… or actor.role)`);
  }
}

/**
 * Glob over path-like strings: `*` within a segment, `**` across segments, `?` one
 * character. A trailing `/**` also matches the directory itself (`secrets/**` matches
 * `secrets`): deleting or moving the directory acts on everything in it.
 */
export function globToRegExp(glob: string): RegExp {
  let pattern = "";
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index] as string;
    if (character === "/" && index === glob.length - 3 && glob.endsWith("/**")) {
      pattern += "(?:/.*)?";
      break;
    }
    if (character === "*") {
      if (glob[index + 1] === "*") {
        index++;
        // `**/` is any number of whole directories (none included): `**/tmp` matches `tmp` and `a/tmp`, not `atmp`.
        if (glob[index + 1] === "/") {
          pattern += "(?:.*/)?";
          index++;
        } else {
          pattern += ".*";
        }
      } else {
        pattern += "[^/]*";
      }
    } else if (character === "?") {
      pattern += "[^/]";
    } else {
      pattern += character.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${pattern}$`);
}

/**
 * Whether something inside `path` could match `glob`, segment by segment: a `**` can hold
 * anything, and a glob with segments left after the path's own can match what lies inside.
 * `X/deny/**` could match inside `X`; `docs/*.md` could not match inside `src`.
 */
export function globCouldMatchInside(glob: string, path: string): boolean {
  const patternSegments = glob.split("/");
  const pathSegments = path === "." || path === "" ? [] : path.split("/");
  for (let index = 0; index < pathSegments.length; index++) {
    const segment = patternSegments[index];
    if (segment === undefined) return false;
    if (segment.includes("**")) return true;
    if (!globToRegExp(segment).test(pathSegments[index] as string)) return false;
  }
  return patternSegments.length > pathSegments.length;
}

/** Whether `path` and everything inside it match `glob`: only a glob whose tail is `/**` (or `**`) can say so. */
export function globMatchesAllInside(glob: string, path: string): boolean {
  return glob === "**" || (glob.endsWith("/**") && globToRegExp(glob).test(path));
}

/**
 * How a glob meets a path the call acts on as a whole tree (facts.subtrees: a recursive
 * delete, a directory move). A rule that restricts matches when anything inside could
 * match — `X/deny/** → DENY` stops `delete_file X recursive` — and a rule that lets a
 * call through matches only when all of the tree does, so neither can be dodged by naming
 * an ancestor.
 */
export type RuleReach = "restricts" | "permits";

function compareScalar(
  actual: unknown,
  operator: RuleCondition["operator"],
  expected: ConditionValue | undefined,
): boolean {
  switch (operator) {
    case "equals":
      return typeof expected === "string" || typeof expected === "number" || typeof expected === "boolean"
        ? actual === expected || (typeof actual !== "object" && String(actual) === String(expected))
        : false;
    case "notEquals":
      return !compareScalar(actual, "equals", expected);
    case "in":
      if (!Array.isArray(expected)) throw new Error("`in` needs a list of values");
      return expected.includes(String(actual));
    case "glob":
      if (typeof expected !== "string") throw new Error("`glob` needs a pattern");
      return typeof actual === "string" && globToRegExp(expected).test(actual);
    case "regex":
      if (typeof expected !== "string") throw new Error("`regex` needs a pattern");
      return typeof actual === "string" && new RegExp(expected, "u").test(actual);
    case "lt":
    case "lte":
    case "gt":
    case "gte": {
      const threshold = Number(expected);
      if (!Number.isFinite(threshold)) throw new Error(`\`${operator}\` needs a number`);
      const number =
        typeof actual === "number"
          ? actual
          : typeof actual === "string" && actual.trim() !== ""
            ? Number(actual)
            : Number.NaN;
      if (!Number.isFinite(number)) return false;
      if (operator === "lt") return number < threshold;
      if (operator === "lte") return number <= threshold;
      if (operator === "gt") return number > threshold;
      return number >= threshold;
    }
    case "exists":
      return actual !== undefined && actual !== null;
  }
}

function isSubtree(subject: ConditionSubject, value: unknown): value is string {
  const subtrees = subject.facts.subtrees;
  return typeof value === "string" && Array.isArray(subtrees) && subtrees.includes(value);
}

function globHolds(subject: ConditionSubject, actual: unknown, glob: ConditionValue | undefined, reach: RuleReach) {
  if (typeof glob !== "string") throw new Error("`glob` needs a pattern");
  if (typeof actual !== "string") return false;
  const matches = compareScalar(actual, "glob", glob);
  if (!isSubtree(subject, actual)) return matches;
  return reach === "restricts"
    ? matches || globCouldMatchInside(glob, actual)
    : matches && globMatchesAllInside(glob, actual);
}

export function conditionHolds(
  subject: ConditionSubject,
  condition: RuleCondition,
  reach: RuleReach = "restricts",
): boolean {
  const actual = resolvePath(subject, condition.path);
  if (condition.operator === "glob") {
    return Array.isArray(actual)
      ? actual.some((item) => globHolds(subject, item, condition.value, reach))
      : globHolds(subject, actual, condition.value, reach);
  }
  if (condition.operator === "exists") return compareScalar(actual, "exists", condition.value);
  if (condition.operator === "notEquals" && Array.isArray(actual)) {
    return actual.every((item) => compareScalar(item, "notEquals", condition.value));
  }
  if (Array.isArray(actual)) return actual.some((item) => compareScalar(item, condition.operator, condition.value));
  return compareScalar(actual, condition.operator, condition.value);
}
