/**
 * The demo model's summary of tool results says what each outcome means: a call whose
 * outcome is unknown may have taken effect, so it must never be reported as not run.
 */
import { describe, expect, it } from "vitest";
import { summarizeToolOutcomes } from "./demo-scripts";

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
