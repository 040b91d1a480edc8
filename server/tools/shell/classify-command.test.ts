import { describe, expect, it } from "vitest";
import type { RiskClass } from "../../shared/risk";
import { compileSensitivePatterns, DEFAULT_SENSITIVE_PATTERNS } from "../workspace/sensitive-patterns";
import { classifyCommandLine } from "./classify-command";
import { parseCommandLine } from "./parse-command-line";

const sensitive = compileSensitivePatterns(DEFAULT_SENSITIVE_PATTERNS);
const classOf = (line: string, allowlist?: string[]) =>
  classifyCommandLine(line, { sensitive, ...(allowlist ? { allowlist } : {}) }).risk;

describe("shell classification", () => {
  const cases: [string, RiskClass][] = [
    // Allowlisted reads with safe flags
    ["ls", "READ"],
    ["ls -la", "READ"],
    ["ls -la src", "READ"],
    ["ls --all --human-readable", "READ"],
    ["cat README.md", "READ"],
    ["cat -n src/index.ts", "READ"],
    ["head -n 5 README.md", "READ"],
    ["head -20 README.md", "READ"],
    ["tail -n5 old-notes.md", "READ"],
    ["wc -l src/index.ts src/format.ts", "READ"],
    ["grep -rn TODO src", "SENSITIVE_READ"],
    ["grep -n TODO src/index.ts", "READ"],
    ["grep -e 'a b' -i README.md", "READ"],
    ["grep --include='*.ts' -n export src/format.ts", "READ"],
    ["find . -name '*.md'", "READ"],
    ["find src -type f -newer README.md", "READ"],
    ["git status", "READ"],
    ["git status --short", "READ"],
    ["git log --oneline -n 5", "READ"],
    ["git log -5 --stat", "READ"],
    ["git diff --stat HEAD~1", "READ"],
    ["pwd", "READ"],
    ['echo "hello world"', "READ"],
    // Pipes and lists: every part must be a read
    ["grep -n TODO src/index.ts | wc -l", "READ"],
    ["ls && pwd", "READ"],
    ["ls; cat README.md", "READ"],
    ["ls |\n wc -l", "READ"],
    ["cat README.md | sh", "DESTRUCTIVE"],
    ["cat README.md | xargs rm", "DESTRUCTIVE"],
    ["ls && rm -rf src", "DESTRUCTIVE"],
    ["ls || rm -rf src", "DESTRUCTIVE"],
    ["ls; rm old-notes.md", "DESTRUCTIVE"],
    ["ls\nrm old-notes.md", "DESTRUCTIVE"],
    ["ls & rm old-notes.md", "DESTRUCTIVE"],
    // Redirections
    ["ls > listing.txt", "DESTRUCTIVE"],
    ["ls >> listing.txt", "DESTRUCTIVE"],
    ["cat < README.md", "DESTRUCTIVE"],
    ["ls 2>/dev/null", "DESTRUCTIVE"],
    ["cat README.md >&2", "DESTRUCTIVE"],
    ["echo hi>README.md", "DESTRUCTIVE"],
    // Substitutions and expansions, quoted or not
    ["echo $(rm -rf src)", "DESTRUCTIVE"],
    ["echo `rm -rf src`", "DESTRUCTIVE"],
    ['echo "$(rm -rf src)"', "DESTRUCTIVE"],
    ['echo "`id`"', "DESTRUCTIVE"],
    ["echo $HOME", "DESTRUCTIVE"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, on purpose
    ["cat ${FILE}", "DESTRUCTIVE"],
    ["echo $((1+1))", "DESTRUCTIVE"],
    ["cat <(rm x)", "DESTRUCTIVE"],
    ["(rm -rf src)", "DESTRUCTIVE"],
    ["{ rm -rf src; }", "DESTRUCTIVE"],
    ["! ls", "DESTRUCTIVE"],
    ["ls # ; rm -rf /", "DESTRUCTIVE"],
    ["FOO=bar ls", "DESTRUCTIVE"],
    ["LD_PRELOAD=/tmp/x.so cat README.md", "DESTRUCTIVE"],
    // Quoting keeps metacharacters literal
    ["echo '$(rm -rf src)'", "READ"],
    ["echo 'a; rm -rf src'", "READ"],
    ['echo "a && rm -rf src"', "READ"],
    ["echo a\\;rm", "READ"],
    ["grep -n '>' README.md", "READ"],
    ["grep -n 'x|y' README.md", "READ"],
    ["grep \\* README.md", "READ"],
    ["echo 'FOO=bar'", "READ"],
    ["'rm' -rf src", "DESTRUCTIVE"],
    ['"r"m -rf src', "DESTRUCTIVE"],
    ["r\\m -rf src", "DESTRUCTIVE"],
    // Globs, paths outside the workspace, sensitive files
    ["cat *.md", "DESTRUCTIVE"],
    ["ls src/*", "DESTRUCTIVE"],
    ["grep TODO*", "DESTRUCTIVE"],
    ["grep --include=*.ts x src/format.ts", "DESTRUCTIVE"],
    ["find * -name x", "DESTRUCTIVE"],
    ["cat /etc/passwd", "DESTRUCTIVE"],
    ["cat ../other/file", "DESTRUCTIVE"],
    ["cat src/../../x", "DESTRUCTIVE"],
    ["ls ~", "DESTRUCTIVE"],
    ["cat ~/.ssh/id_rsa", "DESTRUCTIVE"],
    ["find / -name passwd", "DESTRUCTIVE"],
    ["cat .env", "SENSITIVE_READ"],
    ["head -n 1 ./.env.local", "SENSITIVE_READ"],
    ["cat secrets/api.pem", "SENSITIVE_READ"],
    ["grep KEY .env", "SENSITIVE_READ"],
    ["wc -l .env", "SENSITIVE_READ"],
    ["ls secrets", "READ"],
    ["cat .env | rm x", "DESTRUCTIVE"],
    // Commands and flags not on the allowlist
    ["rm old-notes.md", "DESTRUCTIVE"],
    ["mv a b", "DESTRUCTIVE"],
    ["curl http://example.com", "DESTRUCTIVE"],
    ["python3 -c 'print(1)'", "DESTRUCTIVE"],
    ["sh -c ls", "DESTRUCTIVE"],
    ["/bin/ls", "DESTRUCTIVE"],
    ["find . -delete", "DESTRUCTIVE"],
    ["find . -name '*.tmp' -exec rm {} ;", "DESTRUCTIVE"],
    ["find . -execdir rm {} +", "DESTRUCTIVE"],
    ["find . -fprint out.txt", "DESTRUCTIVE"],
    ["find . -ok rm {} ;", "DESTRUCTIVE"],
    ["tail -f app.log", "DESTRUCTIVE"],
    ["grep -f patterns.txt README.md", "DESTRUCTIVE"],
    ["git commit -m x", "DESTRUCTIVE"],
    ["git push", "DESTRUCTIVE"],
    ["git -C /etc status", "DESTRUCTIVE"],
    ["git -c core.pager=evil log", "DESTRUCTIVE"],
    ["git diff --output=README.md", "DESTRUCTIVE"],
    ["git log --exec=x", "DESTRUCTIVE"],
    ["git checkout .", "DESTRUCTIVE"],
    ["ls --color=always --hyperlink", "DESTRUCTIVE"],
    ["sort -o out.txt README.md", "DESTRUCTIVE"],
  ];

  it.each(cases)("%j → %s", (line, expected) => {
    expect(classOf(line)).toBe(expected);
  });

  it("says why a line is not a read", () => {
    const result = classifyCommandLine("ls && rm -rf src > out.txt", { sensitive });
    expect(result.reasons).toEqual(
      expect.arrayContaining([
        "redirection (`<`, `>`) reads or writes files directly",
        "rm is not on the read-only allowlist",
      ]),
    );
    expect(result.commands).toEqual(["ls", "rm"]);
  });

  it("takes a configured allowlist instead of the built-in one", () => {
    expect(classOf("git status", ["ls", "cat"])).toBe("DESTRUCTIVE");
    expect(classOf("ls -la", ["ls", "cat"])).toBe("READ");
    expect(classOf("stat README.md", ["stat"])).toBe("READ");
    expect(classOf("stat -c %s README.md", ["stat"])).toBe("DESTRUCTIVE");
  });

  it("refuses lines sh would not accept", () => {
    for (const line of [
      "echo 'open",
      'echo "open',
      "ls |",
      "ls &&",
      "| ls",
      "ls && && ls",
      "ls ;; ls",
      "echo \\",
      "  ",
    ]) {
      expect(() => parseCommandLine(line), line).toThrow();
    }
  });

  it("removes quotes the way sh does", () => {
    const [command] = parseCommandLine(`grep -e 'it'"'"'s' "a\\"b" c\\ d`).commands;
    expect(command?.words.map((word) => word.value)).toEqual(["grep", "-e", "it's", 'a"b', "c d"]);
  });
});
