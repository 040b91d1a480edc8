/**
 * A conservative reader of POSIX `sh` command lines, for classification only. It knows
 * words, quotes and escapes, and the list operators (`|`, `&&`, `||`, `;`, newline), and
 * it notices — without interpreting — everything that makes a line mean more than its
 * words: redirections, substitutions and expansions, globs, background jobs, subshells,
 * comments, variable assignments. Whatever it notices is reported, so the classifier can
 * refuse to call the line a read. The command itself runs through `/bin/sh -c` unchanged.
 */

export interface Word {
  /** The word after quote removal. */
  value: string;
  /** The word as written. */
  raw: string;
  /** Contains an unquoted glob character (`*`, `?`, `[`): its expansion is unknown here. */
  glob: boolean;
  /** Starts with an unquoted `~`: the shell replaces it with a home directory. */
  tilde: boolean;
  /** Was quoted in whole or part: it can never be an operator or an assignment. */
  quoted: boolean;
}

export type ListOperator = "|" | "&&" | "||" | ";";

export interface SimpleCommand {
  words: Word[];
  /** The operator that joins this command to the next one, if any. */
  next?: ListOperator;
}

export interface ParsedCommandLine {
  commands: SimpleCommand[];
  /** Constructs that make the line more than a list of plain commands, in words. */
  hazards: string[];
}

export class CommandLineSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandLineSyntaxError";
  }
}

const BLANK = new Set([" ", "\t"]);
const WORD_BREAK = new Set([" ", "\t", "\n", "|", "&", ";", "<", ">", "(", ")"]);

export function parseCommandLine(line: string): ParsedCommandLine {
  const hazards = new Set<string>();
  const commands: SimpleCommand[] = [];
  let words: Word[] = [];
  let index = 0;

  const finishCommand = (next?: ListOperator, atNewline = false) => {
    if (words.length === 0) {
      // Blank lines, and a newline after `|` or `&&`, are fine; `| ls` or `ls && && ls` are not.
      if (next === undefined || atNewline) return;
      throw new CommandLineSyntaxError(`A command is missing before "${next}".`);
    }
    commands.push({ words, ...(next ? { next } : {}) });
    words = [];
  };

  while (index < line.length) {
    const character = line[index] as string;
    if (BLANK.has(character)) {
      index++;
      continue;
    }
    if (character === "\n") {
      finishCommand(";", true);
      index++;
      continue;
    }
    const two = line.slice(index, index + 2);
    if (two === "&&" || two === "||") {
      finishCommand(two);
      index += 2;
      continue;
    }
    if (two === "|&") {
      hazards.add("`|&` pipes standard error too (a bash extension)");
      finishCommand("|");
      index += 2;
      continue;
    }
    if (character === "|" || character === ";") {
      if (two === ";;") throw new CommandLineSyntaxError('Unexpected ";;".');
      finishCommand(character);
      index++;
      continue;
    }
    if (character === "&") {
      hazards.add("`&` runs a command in the background");
      finishCommand(";");
      index++;
      continue;
    }
    if (character === "<" || character === ">") {
      hazards.add("redirection (`<`, `>`) reads or writes files directly");
      index++;
      continue;
    }
    if (character === "(" || character === ")") {
      hazards.add("`(` `)` starts a subshell");
      index++;
      continue;
    }
    if (character === "#") {
      hazards.add("a `#` comment hides the rest of the line");
      break;
    }

    // A word: runs until an unquoted blank or operator.
    let value = "";
    let raw = "";
    let glob = false;
    let quoted = false;
    const tilde = character === "~";
    while (index < line.length && !WORD_BREAK.has(line[index] as string)) {
      const current = line[index] as string;
      if (current === "'") {
        const end = line.indexOf("'", index + 1);
        if (end === -1) throw new CommandLineSyntaxError("A single quote is not closed.");
        value += line.slice(index + 1, end);
        raw += line.slice(index, end + 1);
        quoted = true;
        index = end + 1;
        continue;
      }
      if (current === '"') {
        let cursor = index + 1;
        let inner = "";
        for (;;) {
          if (cursor >= line.length) throw new CommandLineSyntaxError("A double quote is not closed.");
          const next = line[cursor] as string;
          if (next === '"') break;
          if (next === "\\" && cursor + 1 < line.length && '$`"\\\n'.includes(line[cursor + 1] as string)) {
            inner += line[cursor + 1];
            cursor += 2;
            continue;
          }
          if (next === "$") hazards.add("`$` expands a variable or runs a command substitution");
          if (next === "`") hazards.add("backquotes run a command substitution");
          inner += next;
          cursor++;
        }
        value += inner;
        raw += line.slice(index, cursor + 1);
        quoted = true;
        index = cursor + 1;
        continue;
      }
      if (current === "\\") {
        if (index + 1 >= line.length) throw new CommandLineSyntaxError("The line ends with a backslash.");
        const escaped = line[index + 1] as string;
        // A backslash-newline joins lines; anything else is taken literally.
        if (escaped !== "\n") value += escaped;
        raw += line.slice(index, index + 2);
        quoted = true;
        index += 2;
        continue;
      }
      if (current === "$") hazards.add("`$` expands a variable or runs a command substitution");
      if (current === "`") hazards.add("backquotes run a command substitution");
      if (current === "*" || current === "?" || current === "[") glob = true;
      if (current === "{" || current === "}") hazards.add("braces group commands or expand lists");
      if (current === "!" && raw === "") hazards.add("`!` negates a pipeline");
      value += current;
      raw += current;
      index++;
    }
    if (words.length === 0 && !quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(raw)) {
      hazards.add(`\`${raw.split("=")[0]}=…\` sets an environment variable for the command`);
    }
    words.push({ value, raw, glob, tilde, quoted });
  }
  const last = commands.at(-1);
  if (words.length === 0 && last?.next !== undefined && last.next !== ";") {
    throw new CommandLineSyntaxError(`The line ends with "${last.next}".`);
  }
  finishCommand();
  if (commands.at(-1)?.next === ";") delete commands.at(-1)?.next;
  if (commands.length === 0) throw new CommandLineSyntaxError("The command line is empty.");
  return { commands, hazards: [...hazards] };
}
