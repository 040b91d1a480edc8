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
  /**
   * Long options whose value the program takes only attached (`--pretty=oneline`): bare,
   * they are switches and the next word is an operand (git's `--pretty ..` is a range).
   */
  attachedOnly?: string[];
  /**
   * Options that make git compute diffs, which runs an external diff or a textconv
   * driver from the repository's config unless --no-ext-diff and --no-textconv are given.
   * `"always"`: the subcommand always diffs (git diff).
   */
  diffs?: string[] | "always";
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
          "-u",
          "--no-ext-diff",
          "--no-textconv",
          ...GIT_COMMON,
        ],
        valued: [
          "-n",
          "--max-count",
          "-U",
          "--unified",
          "--since",
          "--until",
          "--after",
          "--before",
          "--author",
          "--grep",
          "--date",
          "--skip",
        ],
        attachedOnly: ["--pretty", "--format"],
        numericFlag: true,
        readsContent: false,
        diffs: ["-p", "--patch", "-u", "--stat", "--shortstat", "--follow", "-U", "--unified"],
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
        diffs: "always",
      },
    },
  },
  pwd: { readsContent: false },
  echo: { switches: ["-n", "-e", "-E"], readsContent: false },
};

/** find actions that delete, write files or run programs. */
const FIND_FORBIDDEN = /^-(delete|exec|execdir|ok|okdir|fprint|fprint0|fprintf|fls)$/;

/** find's options before the starting points: `-H -L -P`, `-D debugopts`, `-O3`. */
const FIND_GLOBAL_SWITCHES = new Set(["-H", "-L", "-P"]);

/** find primaries that take no value. */
const FIND_NULLARY = new Set([
  "-empty",
  "-readable",
  "-writable",
  "-executable",
  "-true",
  "-false",
  "-depth",
  "-d",
  "-prune",
  "-print",
  "-print0",
  "-ls",
  "-quit",
  "-nouser",
  "-nogroup",
  "-mount",
  "-xdev",
  "-noleaf",
  "-daystart",
  "-follow",
  "-ignore_readdir_race",
  "-noignore_readdir_race",
  "-not",
  "-a",
  "-and",
  "-o",
  "-or",
  "!",
  "(",
  ")",
  ",",
]);

/** find primaries whose value is a pattern, a number or a format, never a file. */
const FIND_VALUED = new Set([
  "-name",
  "-iname",
  "-path",
  "-ipath",
  "-wholename",
  "-iwholename",
  "-regex",
  "-iregex",
  "-lname",
  "-ilname",
  "-type",
  "-xtype",
  "-size",
  "-mtime",
  "-mmin",
  "-atime",
  "-amin",
  "-ctime",
  "-cmin",
  "-used",
  "-perm",
  "-user",
  "-group",
  "-uid",
  "-gid",
  "-links",
  "-inum",
  "-maxdepth",
  "-mindepth",
  "-regextype",
  "-printf",
  "-fstype",
]);

/** find primaries whose value names a file whose metadata is compared. */
const FIND_FILE_VALUED = /^-(newer|anewer|cnewer|samefile|newer[aBcm][aBcmt])$/;

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

/** A value given to an option is checked like an operand: a value may really be one. */
function checkValue(name: string, value: string, tilde: boolean): Verdict[] {
  if (tilde || value.startsWith("/") || value.startsWith("~") || value.split("/").includes("..")) {
    return [{ risk: "DESTRUCTIVE", reasons: [`${name}: the value ${value} names something outside the workspace`] }];
  }
  return [];
}

/**
 * find, parsed as find does: global options, then starting points (every one checked,
 * whatever came before it), then an expression of known primaries only.
 */
function classifyFind(words: Word[], sensitive: PathMatcher): Verdict {
  const verdicts: Verdict[] = [];
  let index = 0;
  const unsafe = (reason: string) => verdicts.push({ risk: "DESTRUCTIVE", reasons: [reason] });
  for (; index < words.length; index++) {
    const value = (words[index] as Word).value;
    if (FIND_GLOBAL_SWITCHES.has(value) || /^-O\d$/.test(value)) continue;
    if (value === "-D") {
      index++;
      continue;
    }
    break;
  }
  for (; index < words.length; index++) {
    const word = words[index] as Word;
    if (word.value.startsWith("-") || FIND_NULLARY.has(word.value)) break;
    if (escapesWorkspace(word)) unsafe(`find: ${word.value} is outside the workspace`);
  }
  for (; index < words.length; index++) {
    const word = words[index] as Word;
    const value = word.value;
    if (FIND_FORBIDDEN.test(value)) {
      unsafe(`find ${value} changes files or runs programs`);
    } else if (FIND_NULLARY.has(value)) {
      // nothing to check
    } else if (FIND_VALUED.has(value)) {
      index++;
      if (index >= words.length) unsafe(`find: ${value} needs a value`);
    } else if (FIND_FILE_VALUED.test(value) || value === "-files0-from") {
      const operand = words[++index];
      if (!operand) {
        unsafe(`find: ${value} needs a file`);
        continue;
      }
      if (escapesWorkspace(operand)) {
        unsafe(`find ${value}: ${operand.value} is outside the workspace`);
      } else if (value === "-files0-from" && sensitive(operand.value.replace(/^\.\//, ""))) {
        // find reads the file, and prints its content back in its error messages.
        verdicts.push({
          risk: "SENSITIVE_READ",
          reasons: [`find -files0-from reads ${operand.value}, a sensitive file`],
        });
      }
    } else {
      unsafe(`find: ${value} is not known to be safe here`);
    }
  }
  return highest(verdicts);
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
  if (rule.findExpression) return highest([...verdicts, classifyFind(words, sensitive)]);
  const switchesSeen = new Set<string>();
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as Word;
    const value = word.value;
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
    if (rule.attachedOnly?.includes(flag)) {
      // `--pretty` alone is a switch; its value only ever comes after `=`.
      if (value.includes("=")) verdicts.push(...checkValue(name, value.slice(flag.length + 1), false));
      switchesSeen.add(flag);
      continue;
    }
    if (rule.valued?.includes(flag)) {
      if (flag === "-e" || flag === "--regexp") patternGiven = true;
      switchesSeen.add(flag);
      // `--lines=5` carries its value; `-n 5` takes the next word.
      if (value.includes("=")) {
        verdicts.push(...checkValue(name, value.slice(flag.length + 1), false));
      } else {
        const next = words[++index];
        if (next) verdicts.push(...checkValue(name, next.value, next.tilde));
      }
      continue;
    }
    const valuedPrefix = rule.valued?.find(
      (candidate) => !candidate.startsWith("--") && value.startsWith(candidate) && value.length > candidate.length,
    );
    if (valuedPrefix) {
      if (valuedPrefix === "-e") patternGiven = true;
      switchesSeen.add(valuedPrefix);
      verdicts.push(...checkValue(name, value.slice(valuedPrefix.length), false));
      continue; // `-n5`, `-U3`
    }
    if (rule.switches?.includes(value)) {
      if (["-r", "-R", "--recursive", "--dereference-recursive"].includes(value)) recursive = true;
      switchesSeen.add(value);
      continue;
    }
    // A cluster of single-letter switches: `-la`, `-rn`.
    const letters = /^-[A-Za-z]+$/.test(value) ? [...value.slice(1)].map((letter) => `-${letter}`) : [];
    if (letters.length > 1 && letters.every((letter) => rule.switches?.includes(letter))) {
      if (letters.some((letter) => letter === "-r" || letter === "-R")) recursive = true;
      for (const letter of letters) switchesSeen.add(letter);
      continue;
    }
    verdicts.push({ risk: "DESTRUCTIVE", reasons: [`${name}: the flag ${value} is not known to be safe`] });
  }
  // grep's pattern is not a path: only the glob check above applies to it.
  const files = rule.patternFirst && !patternGiven ? operands.slice(1) : operands;
  verdicts.push(...checkOperands(name, files, rule, sensitive));
  const diffs = rule.diffs === "always" || rule.diffs?.some((option) => switchesSeen.has(option));
  if (diffs && !(switchesSeen.has("--no-ext-diff") && switchesSeen.has("--no-textconv"))) {
    verdicts.push({
      risk: "DESTRUCTIVE",
      reasons: [
        `${name} computes diffs, which runs any external diff or textconv program the repository's config names; add --no-ext-diff --no-textconv for a plain read`,
      ],
    });
  }
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
