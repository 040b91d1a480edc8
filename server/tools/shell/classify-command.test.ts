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
    ["git log -5 --stat", "DESTRUCTIVE"],
    ["git log -5 --stat --no-ext-diff --no-textconv", "READ"],
    ["git diff --stat HEAD~1", "DESTRUCTIVE"],
    ["git diff --no-ext-diff --no-textconv --stat HEAD~1", "READ"],
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

/**
 * The reported gaps and their neighbours: options before paths, values attached and
 * detached, clustered short options, abbreviations (getopt_long and git accept unique
 * prefixes, so an unknown prefix must never pass as a read), and the programs that run
 * others or write (xargs, env, sed, awk, tar, less).
 */
describe("shell classification of option spellings", () => {
  const table: [string, RiskClass][] = [
    // find: global options before the starting points no longer hide a path outside
    ["find -L .. -maxdepth 1", "DESTRUCTIVE"],
    ["find -H / -name passwd", "DESTRUCTIVE"],
    ["find -P /etc -name shadow", "DESTRUCTIVE"],
    ["find -O3 .. -type f", "DESTRUCTIVE"],
    ["find -D exec .. -name x", "DESTRUCTIVE"],
    ["find -L -H -P ../.. -print", "DESTRUCTIVE"],
    ["find -L . -maxdepth 1", "READ"],
    ["find -H src -name '*.ts'", "READ"],
    ["find -P . -type f -print0", "READ"],
    ["find -O2 src -iname README.md", "READ"],
    ["find . ../x -name y", "DESTRUCTIVE"],
    ["find src ~ -name y", "DESTRUCTIVE"],
    ["find . /tmp", "DESTRUCTIVE"],
    // find -files0-from reads a file and prints its content in errors
    ["find -files0-from ../auth-secret", "DESTRUCTIVE"],
    ["find -files0-from /work/.data/auth-secret", "DESTRUCTIVE"],
    ["find -files0-from .env", "SENSITIVE_READ"],
    ["find -files0-from ./secrets/db.pem", "SENSITIVE_READ"],
    ["find -files0-from list.txt", "READ"],
    ["find -files0-from", "DESTRUCTIVE"],
    // find primaries: only known ones, values of the right kind
    ["find . -newer ../auth-secret", "DESTRUCTIVE"],
    ["find . -samefile /etc/passwd", "DESTRUCTIVE"],
    ["find . -neweram ../x", "DESTRUCTIVE"],
    ["find . -newer README.md -type f", "READ"],
    ["find . -name '..' -type d", "READ"],
    ["find . -path './src/*' -prune -o -print", "READ"],
    ["find . \\( -name a -o -name b \\) -print", "READ"],
    ["find . ( -name a ) -print", "DESTRUCTIVE"],
    ["find . '!' -name a", "READ"],
    ["find . -maxdepth 2 -mindepth 1 -size +1k -mtime -3", "READ"],
    ["find . -printf '%p\\n'", "READ"],
    ["find . -fls out.txt", "DESTRUCTIVE"],
    ["find . -fprintf out.txt %p", "DESTRUCTIVE"],
    ["find . -fprint0 out", "DESTRUCTIVE"],
    ["find . -okdir rm {} ;", "DESTRUCTIVE"],
    ["find . -exec=rm", "DESTRUCTIVE"],
    ["find . -name", "DESTRUCTIVE"],
    ["find . -frobnicate", "DESTRUCTIVE"],
    ["find . -delete -name x", "DESTRUCTIVE"],
    // xargs and env run whatever they are given
    ["xargs cat", "DESTRUCTIVE"],
    ["ls | xargs cat", "DESTRUCTIVE"],
    ["find . -print0 | xargs -0 grep x", "DESTRUCTIVE"],
    ["xargs -a ../auth-secret echo", "DESTRUCTIVE"],
    ["xargs --arg-file=../auth-secret", "DESTRUCTIVE"],
    ["env", "DESTRUCTIVE"],
    ["env ls", "DESTRUCTIVE"],
    ["env -i sh -c ls", "DESTRUCTIVE"],
    ["env -u PATH cat README.md", "DESTRUCTIVE"],
    ["env --chdir=/ cat etc/passwd", "DESTRUCTIVE"],
    // sed, awk, tar, less can write, run programs or open files of their own
    ["sed -n 1,5p README.md", "DESTRUCTIVE"],
    ["sed -i s/a/b/ README.md", "DESTRUCTIVE"],
    ["sed --in-place=.bak s/a/b/ README.md", "DESTRUCTIVE"],
    ["sed -ne 'w out' README.md", "DESTRUCTIVE"],
    ["sed 1e README.md", "DESTRUCTIVE"],
    ["awk '{print}' README.md", "DESTRUCTIVE"],
    ["awk 'BEGIN{system(\"id\")}'", "DESTRUCTIVE"],
    ["awk -f prog.awk README.md", "DESTRUCTIVE"],
    ["tar -tf archive.tar", "DESTRUCTIVE"],
    ["tar -xzf archive.tgz", "DESTRUCTIVE"],
    ["tar --list --file=archive.tar", "DESTRUCTIVE"],
    ["tar -cf - src", "DESTRUCTIVE"],
    ["less README.md", "DESTRUCTIVE"],
    ["less +!id README.md", "DESTRUCTIVE"],
    ["more README.md", "DESTRUCTIVE"],
    // git: values attached and detached, abbreviations, options before operands
    ["git log --name-only --pretty ..", "DESTRUCTIVE"],
    ["git log --pretty ..", "DESTRUCTIVE"],
    ["git log --pretty=oneline", "READ"],
    ["git log --pretty=..", "DESTRUCTIVE"],
    ["git log --format=%H%n%s", "READ"],
    ["git log --format ..", "DESTRUCTIVE"],
    ["git log --pretty oneline", "READ"],
    ["git log --author ../x", "DESTRUCTIVE"],
    ["git log --author=alice --since=2.weeks", "READ"],
    ["git log --grep=fix -n 3", "READ"],
    ["git log -n3", "READ"],
    ["git log --max-count=3 --oneline", "READ"],
    ["git log --skip 2 -- src", "READ"],
    ["git log -- ../outside", "DESTRUCTIVE"],
    ["git log /etc", "DESTRUCTIVE"],
    ["git log HEAD~3..HEAD", "READ"],
    ["git log -p", "DESTRUCTIVE"],
    ["git log --patch", "DESTRUCTIVE"],
    ["git log -p --no-ext-diff", "DESTRUCTIVE"],
    ["git log -p --no-textconv", "DESTRUCTIVE"],
    ["git log -p --no-ext-diff --no-textconv", "READ"],
    ["git log -U5 --no-ext-diff --no-textconv", "READ"],
    ["git log -U5", "DESTRUCTIVE"],
    ["git log --follow README.md", "DESTRUCTIVE"],
    ["git log --stat --no-textconv --no-ext-diff", "READ"],
    ["git log --output=x", "DESTRUCTIVE"],
    ["git log --outp=x", "DESTRUCTIVE"],
    ["git log --ext-diff -p", "DESTRUCTIVE"],
    ["git log --textconv -p --no-ext-diff --no-textconv", "DESTRUCTIVE"],
    ["git log --pre=..", "DESTRUCTIVE"],
    ["git log --onel", "DESTRUCTIVE"],
    ["git log -pS secret", "DESTRUCTIVE"],
    ["git diff", "DESTRUCTIVE"],
    ["git diff --no-ext-diff", "DESTRUCTIVE"],
    ["git diff --no-textconv", "DESTRUCTIVE"],
    ["git diff --no-ext-diff --no-textconv", "READ"],
    ["git diff --no-ext-diff --no-textconv --cached", "READ"],
    ["git diff --no-ext-diff --no-textconv -U3 HEAD~1", "READ"],
    ["git diff --no-ext-diff --no-textconv --unified=1", "READ"],
    ["git diff --no-ext-diff --no-textconv --unified ../x", "DESTRUCTIVE"],
    ["git diff --no-ext-diff --no-textconv ../other", "DESTRUCTIVE"],
    ["git diff --no-ext-diff --no-textconv --no-index a /etc/passwd", "DESTRUCTIVE"],
    ["git diff --no-ext-diff --no-textconv --output=x", "DESTRUCTIVE"],
    ["git diff --no-ext --no-textc", "DESTRUCTIVE"],
    ["git diff --no-ext-diff --no-textconv -bw", "READ"],
    ["git diff --no-ext-diff --no-textconv -wX", "DESTRUCTIVE"],
    ["git status --porcelain=v2 -b", "READ"],
    ["git status -sb", "READ"],
    ["git status -uno", "READ"],
    ["git status --untracked-files=all", "DESTRUCTIVE"],
    ["git --no-pager log", "DESTRUCTIVE"],
    ["git --git-dir=../x log", "DESTRUCTIVE"],
    ["git --work-tree=/ status", "DESTRUCTIVE"],
    ["git -C .. log", "DESTRUCTIVE"],
    ["git show HEAD", "DESTRUCTIVE"],
    ["git grep secret", "DESTRUCTIVE"],
    ["git config --list", "DESTRUCTIVE"],
    // clustered short options, attached values, options before paths elsewhere
    ["ls -laR", "READ"],
    ["ls -laZ", "DESTRUCTIVE"],
    ["ls -la ..", "DESTRUCTIVE"],
    ["ls -la -- ..", "DESTRUCTIVE"],
    ["ls --sort=size src", "READ"],
    ["ls --sort size src", "READ"],
    ["ls -I ../x", "DESTRUCTIVE"],
    ["ls --ignore=/etc", "DESTRUCTIVE"],
    ["ls --hide=x", "DESTRUCTIVE"],
    ["ls --al", "DESTRUCTIVE"],
    ["cat -nA README.md", "READ"],
    ["cat -nA ../auth-secret", "DESTRUCTIVE"],
    ["cat -- -n", "READ"],
    ["cat --numb README.md", "DESTRUCTIVE"],
    ["head -n5 README.md", "READ"],
    ["head --lines=5 README.md", "READ"],
    ["head --lines 5 .env", "SENSITIVE_READ"],
    ["head -c 10 ../../etc/passwd", "DESTRUCTIVE"],
    ["head --li=5 README.md", "DESTRUCTIVE"],
    ["tail -n +3 README.md", "READ"],
    ["tail --follow=name README.md", "DESTRUCTIVE"],
    ["tail -fn5 README.md", "DESTRUCTIVE"],
    ["wc -lwc README.md", "READ"],
    ["wc --files0-from=../auth-secret", "DESTRUCTIVE"],
    ["wc --files0-from=list", "DESTRUCTIVE"],
    ["grep -rni todo src", "SENSITIVE_READ"],
    ["grep -ni todo src/index.ts", "READ"],
    ["grep -nif ../auth-secret README.md", "DESTRUCTIVE"],
    ["grep --file=../auth-secret README.md", "DESTRUCTIVE"],
    ["grep --fil=../auth-secret README.md", "DESTRUCTIVE"],
    ["grep -e x ../auth-secret", "DESTRUCTIVE"],
    ["grep --regexp=x .env", "SENSITIVE_READ"],
    ["grep -A2 -B 1 x README.md", "READ"],
    ["grep --context=2 x README.md", "READ"],
    ["grep --include ../x -r y .", "DESTRUCTIVE"],
    ["grep --exclude-dir=node_modules -rn x .", "SENSITIVE_READ"],
    ["grep -d recurse x .", "DESTRUCTIVE"],
    ["grep --devices=read x README.md", "DESTRUCTIVE"],
    ["echo -ne x", "READ"],
    ["echo ../auth-secret", "DESTRUCTIVE"],
  ];

  it("has at least 100 cases", () => {
    expect(table.length).toBeGreaterThanOrEqual(100);
  });

  it.each(table)("%j → %s", (line, expected) => {
    expect(classOf(line)).toBe(expected);
  });
});
