/**
 * The demo model's summary of tool results says what each outcome means: a call whose
 * outcome is unknown may have taken effect, so it must never be reported as not run.
 */
import { describe, expect, it } from "vitest";
import { scriptToolCalls, summarizeToolOutcomes } from "./demo-scripts";

const UNKNOWN =
  "Outcome unknown: the worker stopped while this call was running and it was not retried automatically. A human must check what happened before trying again.";

describe("summarizeToolOutcomes", () => {
  it("says an unknown outcome may have taken effect, never that the call did not run", () => {
    const text = summarizeToolOutcomes([{ toolName: "delete_file", output: UNKNOWN, isError: true }]);
    expect(text).not.toMatch(/did not run/);
    expect(text).toMatch(/\*\*delete_file\*\* may have run/);
    expect(text).toContain("A human must check");
  });

  it("tells a refusal, a cancellation and a failure apart", () => {
    const text = summarizeToolOutcomes([
      { toolName: "write_file", output: "Refused: the reviewer said no", isError: true },
      { toolName: "run_shell", output: "Cancelled: the run was stopped.", isError: true },
      { toolName: "sql_query", output: "Error: relation does not exist", isError: true },
      { toolName: "list_files", output: { entries: [] }, isError: false },
    ]);
    expect(text).toContain("**write_file** did not run: Refused: the reviewer said no");
    expect(text).toContain("**run_shell** did not run: Cancelled");
    expect(text).toContain("**sql_query** failed: Error: relation does not exist");
    expect(text).toContain("**list_files** returned");
  });
});

describe("scriptToolCalls: use <tool> with {json}", () => {
  const offered = new Set(["files__write_file", "list_files"]);
  it("calls an offered tool by name, imported MCP tools included, with the JSON object as its input", () => {
    expect(
      scriptToolCalls('use files__write_file with {"path": "notes/a.txt", "content": "hi\\nthere"}', offered),
    ).toEqual([{ toolName: "files__write_file", input: { path: "notes/a.txt", content: "hi\nthere" } }]);
  });
  it("calls nothing for a tool that is not offered, or input that is not one JSON object", () => {
    expect(scriptToolCalls('use files__delete_everything with {"path": "/"}', offered)).toBeUndefined();
    expect(scriptToolCalls("use files__write_file with {not json}", offered)).toBeUndefined();
    expect(scriptToolCalls("use files__write_file with [1, 2]", offered)).toBeUndefined();
  });
  it("words a plain 'Not executed' result (a reviewer's rejection) as not run", () => {
    const text = summarizeToolOutcomes([
      {
        toolName: "files__write_file",
        output: "Not executed: rejected by a reviewer because no; do not retry it.",
        isError: false,
      },
    ]);
    expect(text).toContain("**files__write_file** did not run: Not executed: rejected by a reviewer because no");
  });
});
