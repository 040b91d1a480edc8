/**
 * Shell risk classification. A line is READ only when every command in it is on the
 * read-only allowlist, uses only that command's safe flags, names no path outside the
 * workspace, and the line has no redirection, substitution, glob, background job or
 * other construct whose effect cannot be known from the words. Reading a sensitive file
 * (or grepping a whole tree, which reads them too) is SENSITIVE_READ. Everything else is
 * DESTRUCTIVE: the allowlist says what is known to be safe, not what is known to be bad.
 */
import type { RiskClass } from "../../shared/risk";
import type { PathMatcher } from "../workspace/sensitive-patterns";
import { type ParsedCommandLine, parseCommandLine, type SimpleCommand, type Word } from "./parse-command-line";

interface CommandRule {
  /** Flags that take no value; `-la` style clusters of these are accepted. */
  switches?: string[];
  /** Flags followed by a value, as `-n 5`, `-n5` or `--lines=5`. */
  valued?: string[];
  /** `head -20`. */
  numericFlag?: boolean;
  /** Operands are files whose content is read (so sensitive names matter). */
  readsContent: boolean;
  /** Allowed subcommands (git), each with its own rule. */
  subcommands?: Record<string, CommandRule>;
  /** find's expression: any word, but never an action that writes or runs something. */
  findExpression?: boolean;
  /** grep: the first operand is a pattern, not a file (unless -e gave one). */
  patternFirst?: boolean;
}

const GIT_COMMON = ["--no-color", "--color=never", "--no-pager"];

export const READ_ONLY_COMMANDS: Record<string, CommandRule> = {
  ls: {
    switches: [..."1aAbBcCdfFghHiklLmnNopqQrRsStuUvxX"]
      .map((letter) => `-${letter}`)
      .concat([
        "--all",
        "--almost-all",
        "--human-readable",
        "--classify",
        "--directory",
        "--recursive",
        "--reverse",
        "--size",
        "--color=never",
        "--group-directories-first",
        "--full-time",
      ]),
    valued: ["--sort", "--time-style", "--time", "--format", "--width", "-w", "-I", "--ignore"],
    readsContent: false,
  },
  cat: {
    switches: [
      "-A",
      "-b",
      "-e",
      "-E",
      "-n",
      "-s",
      "-t",
      "-T",
      "-u",
      "-v",
      "--number",
      "--number-nonblank",
      "--show-all",
      "--squeeze-blank",
    ],
    readsContent: true,
  },
  head: {
    switches: ["-q", "-v", "--quiet", "--silent", "--verbose"],
    valued: ["-n", "-c", "--lines", "--bytes"],
    numericFlag: true,
    readsContent: true,
  },
  tail: {
    // No -f/-F/--follow: following a file never ends, it only runs into the timeout.
    switches: ["-q", "-v", "--quiet", "--silent", "--verbose"],
    valued: ["-n", "-c", "--lines", "--bytes"],
    numericFlag: true,
    readsContent: true,
  },
  wc: {
    switches: ["-l", "-w", "-c", "-m", "-L", "--lines", "--words", "--bytes", "--chars", "--max-line-length"],
    readsContent: true,
  },
  grep: {
    switches: [..."ivnclLwxEFGohHsqrRIZzT"]
      .map((letter) => `-${letter}`)
      .concat([
        "--ignore-case",
        "--invert-match",
        "--line-number",
        "--count",
        "--files-with-matches",
        "--files-without-match",
        "--word-regexp",
        "--line-regexp",
        "--extended-regexp",
        "--fixed-strings",
        "--only-matching",
        "--no-filename",
        "--with-filename",
        "--no-messages",
        "--quiet",
        "--silent",
        "--recursive",
        "--dereference-recursive",
        "--color=never",
      ]),
    valued: [
      "-e",
      "--regexp",
      "-A",
      "-B",
      "-C",
      "-m",
      "--max-count",
      "--after-context",
      "--before-context",
      "--context",
      "--include",
      "--exclude",
      "--exclude-dir",
    ],
    readsContent: true,
    patternFirst: true,
  },
  find: { readsContent: false, findExpression: true },
  git: {
    readsContent: false,
    subcommands: {
      status: {
        switches: [
          "-s",
          "--short",
          "-b",
          "--branch",
          "--porcelain",
          "--porcelain=v1",
          "--porcelain=v2",
          "--long",
          "--ignored",
          "-u",
          "-uno",
          "-unormal",
          "-uall",
          ...GIT_COMMON,
        ],
        readsContent: false,
      },
      log: {
        switches: [
          "--oneline",
          "--stat",
          "--shortstat",
          "--name-only",
          "--name-status",
          "--graph",
          "--decorate",
          "--all",
          "-p",
          "--patch",
          "--reverse",
          "--first-parent",
          "--no-merges",
          "--merges",
          "--abbrev-commit",
          "--follow",
          ...GIT_COMMON,
        ],
        valued: [
          "-n",
          "--max-count",
          "--since",
          "--until",
          "--after",
          "--before",
          "--author",
          "--grep",
          "--format",
          "--pretty",
          "--date",
          "--skip",
        ],
        numericFlag: true,
        readsContent: false,
      },
      diff: {
        switches: [
          "--stat",
          "--shortstat",
          "--numstat",
          "--name-only",
          "--name-status",
          "--cached",
          "--staged",
          "-w",
          "--ignore-all-space",
          "-b",
          "--ignore-space-change",
          "--word-diff",
          "--patch",
          "-p",
          "--no-ext-diff",
          "--no-textconv",
          ...GIT_COMMON,
        ],
        valued: ["-U", "--unified", "--diff-filter"],
        readsContent: false,
      },
    },
  },
  pwd: { readsContent: false },
  echo: { switches: ["-n", "-e", "-E"], readsContent: false },
};

/** find actions that delete, write files or run programs. */
const FIND_FORBIDDEN = /^-(delete|exec|execdir|ok|okdir|fprint|fprint0|fprintf|fls)$/;

export interface ShellClassification {
  risk: RiskClass;
  reasons: string[];
  /** Program names in order, e.g. ["grep", "wc"]. */
  commands: string[];
  parsed: ParsedCommandLine;
}

interface Verdict {
  risk: RiskClass;
  reasons: string[];
}

const ORDER: Record<RiskClass, number> = { READ: 0, SENSITIVE_READ: 1, DESTRUCTIVE: 2, DISABLED: 3 };

function highest(verdicts: Verdict[]): Verdict {
  let risk: RiskClass = "READ";
  for (const verdict of verdicts) if (ORDER[verdict.risk] > ORDER[risk]) risk = verdict.risk;
  return { risk, reasons: verdicts.flatMap((verdict) => verdict.reasons) };
}

/** A path operand that is absolute, starts at a home directory or climbs with `..`. */
function escapesWorkspace(word: Word): boolean {
  return word.tilde || word.value.startsWith("/") || word.value.split("/").includes("..");
}

function flagName(value: string): string {
  return value.startsWith("--") ? (value.split("=")[0] as string) : value;
}

function checkOperands(program: string, operands: Word[], rule: CommandRule, sensitive: PathMatcher): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const operand of operands) {
    if (escapesWorkspace(operand)) {
      verdicts.push({ risk: "DESTRUCTIVE", reasons: [`${program}: ${operand.value} is outside the workspace`] });
    } else if (rule.readsContent && sensitive(operand.value.replace(/^\.\//, ""))) {
      verdicts.push({ risk: "SENSITIVE_READ", reasons: [`${program}: ${operand.value} is a sensitive file`] });
    }
  }
  return verdicts;
}

function classifyCommand(command: SimpleCommand, rules: Record<string, CommandRule>, sensitive: PathMatcher): Verdict {
  const [programWord, ...rest] = command.words;
  const program = programWord?.value ?? "";
  let rule = rules[program];
  if (!programWord || programWord.glob || !rule) {
    return { risk: "DESTRUCTIVE", reasons: [`${program || "(empty)"} is not on the read-only allowlist`] };
  }
  let words = rest;
  let name = program;
  if (rule.subcommands) {
    const sub = words[0]?.value ?? "";
    const subRule = rule.subcommands[sub];
    if (!subRule) {
      return {
        risk: "DESTRUCTIVE",
        reasons: [`${program} ${sub || "(no subcommand)"} is not on the read-only allowlist`],
      };
    }
    rule = subRule;
    name = `${program} ${sub}`;
    words = words.slice(1);
  }
  const verdicts: Verdict[] = [];
  const operands: Word[] = [];
  let patternGiven = false;
  let recursive = false;
  let endOfFlags = false;
  // Flags, their values and operands alike: the shell expands an unquoted glob before the
  // command sees it, so `--include=*.ts` or a pattern `foo*` could become any file name.
  for (const word of words) {
    if (word.glob) {
      verdicts.push({ risk: "DESTRUCTIVE", reasons: [`${name}: the unquoted ${word.raw} is expanded by the shell`] });
    }
  }
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as Word;
    const value = word.value;
    if (rule.findExpression) {
      if (FIND_FORBIDDEN.test(value)) {
        verdicts.push({ risk: "DESTRUCTIVE", reasons: [`find ${value} changes files or runs programs`] });
      } else if (
        !value.startsWith("-") &&
        escapesWorkspace(word) &&
        !words.slice(0, index).some((w) => w.value.startsWith("-"))
      ) {
        verdicts.push({ risk: "DESTRUCTIVE", reasons: [`find: ${value} is outside the workspace`] });
      }
      continue;
    }
    if (endOfFlags || !value.startsWith("-") || value === "-") {
      operands.push(word);
      continue;
    }
    if (value === "--") {
      endOfFlags = true;
      continue;
    }
    if (rule.numericFlag && /^-\d+$/.test(value)) continue;
    const flag = flagName(value);
    if (rule.valued?.includes(flag)) {
      if (flag === "-e" || flag === "--regexp") patternGiven = true;
      // `--lines=5` carries its value; `-n 5` takes the next word.
      if (!value.includes("=")) index++;
      continue;
    }
    const valuedPrefix = rule.valued?.find(
      (candidate) => !candidate.startsWith("--") && value.startsWith(candidate) && value.length > candidate.length,
    );
    if (valuedPrefix) {
      if (valuedPrefix === "-e") patternGiven = true;
      continue; // `-n5`, `-U3`
    }
    if (rule.switches?.includes(value)) {
      if (["-r", "-R", "--recursive", "--dereference-recursive"].includes(value)) recursive = true;
      continue;
    }
    // A cluster of single-letter switches: `-la`, `-rn`.
    const letters = /^-[A-Za-z]+$/.test(value) ? [...value.slice(1)].map((letter) => `-${letter}`) : [];
    if (letters.length > 1 && letters.every((letter) => rule.switches?.includes(letter))) {
      if (letters.some((letter) => letter === "-r" || letter === "-R")) recursive = true;
      continue;
    }
    verdicts.push({ risk: "DESTRUCTIVE", reasons: [`${name}: the flag ${value} is not known to be safe`] });
  }
  // grep's pattern is not a path: only the glob check above applies to it.
  const files = rule.patternFirst && !patternGiven ? operands.slice(1) : operands;
  verdicts.push(...checkOperands(name, files, rule, sensitive));
  if (recursive && rule.readsContent) {
    verdicts.push({ risk: "SENSITIVE_READ", reasons: [`${name} -r reads every file below, sensitive ones included`] });
  }
  return highest(verdicts);
}

export function classifyCommandLine(
  line: string,
  options: { allowlist?: readonly string[]; sensitive: PathMatcher },
): ShellClassification {
  const parsed = parseCommandLine(line);
  const rules =
    options.allowlist === undefined
      ? READ_ONLY_COMMANDS
      : Object.fromEntries(
          options.allowlist.map((name) => [name, READ_ONLY_COMMANDS[name] ?? { readsContent: true }] as const),
        );
  const verdicts: Verdict[] = parsed.hazards.map((hazard) => ({ risk: "DESTRUCTIVE", reasons: [hazard] }));
  for (const command of parsed.commands) verdicts.push(classifyCommand(command, rules, options.sensitive));
  const verdict = highest(verdicts);
  return {
    risk: verdict.risk,
    reasons: verdict.reasons,
    commands: parsed.commands.map((command) => command.words[0]?.value ?? ""),
    parsed,
  };
}
