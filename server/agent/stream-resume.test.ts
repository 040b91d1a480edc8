/**
 * A run interrupted mid-stream does not stream its step again from the first token:
 * what viewers saw stays, the repeated call continues it (or, when it says something
 * else, replaces it with the earlier text kept visible). First the writer alone, with
 * an event writer that records; then a real worker process killed with SIGKILL while
 * its step streams, and another one finishing the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEventData } from "../shared/run-events";
import { stepTextOf } from "../shared/step-text";
import {
  type CrashDatabase,
  crashWorkerConfig,
  openCrashDatabase,
  queueCrashRuns,
  startApprover,
  waitForTerminal,
} from "../testing/crash-campaign";
import { checkCrashRuns, describeProblems } from "../testing/crash-checks";
import { killAllCrashWorkers, spawnCrashWorker } from "../testing/crash-process";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { claimTestRun } from "../testing/fixtures";
import { createSeededRandom } from "../testing/seeded-random";
import { createEventWriter, type EventWriter } from "./event-writer";
import { resumingWriter, shownStepText } from "./stream-resume";

function recordingWriter(): { writer: EventWriter; events: RunEventData[] } {
  const events: RunEventData[] = [];
  const writer: EventWriter = {
    textDelta: (stepIndex, text) => events.push({ type: "text-delta", stepIndex, text }),
    defer: (event) => events.push(event),
    deferWrite: () => {},
    take: async () => ({ events: [] }) as never,
    flush: async () => {},
    close: async () => {},
  };
  return { writer, events };
}

function stream(shown: string, tokens: string[]): { events: RunEventData[]; text: ReturnType<typeof stepTextOf> } {
  const { writer, events } = recordingWriter();
  const before: RunEventData[] = shown
    ? [
        { type: "step-started", stepIndex: 2, modelId: "m" },
        { type: "text-delta", stepIndex: 2, text: shown },
      ]
    : [];
  const resuming = resumingWriter(writer, { stepIndex: 2, modelId: "m", shown });
  resuming.defer({ type: "step-started", stepIndex: 2, modelId: "m" });
  for (const token of tokens) resuming.textDelta(2, token);
  resuming.settle();
  return { events, text: stepTextOf([...before, ...events], 2) };
}

describe("resumingWriter", () => {
  it("continues where the step stood when the repeated call says the same", () => {
    const { events, text } = stream("Hello wor", ["Hel", "lo", " wo", "rld", "!"]);
    expect(events).toEqual([
      { type: "step-resumed", stepIndex: 2, modelId: "m" },
      { type: "text-delta", stepIndex: 2, text: "ld" },
      { type: "text-delta", stepIndex: 2, text: "!" },
    ]);
    expect(text).toEqual({ text: "Hello world!", interruptedText: "", resumed: true });
  });

  it("keeps what was shown as interrupted text when the repeated call says something else", () => {
    const { events, text } = stream("Hello wor", ["Hel", "p is", " here"]);
    expect(events[0]).toEqual({ type: "step-resumed", stepIndex: 2, modelId: "m" });
    expect(text).toEqual({ text: "Help is here", interruptedText: "Hello wor", resumed: true });
  });

  it("replaces a text the repeated call did not say to the end", () => {
    const { text } = stream("Hello world", ["Hello"]);
    expect(text).toEqual({ text: "Hello", interruptedText: "Hello world", resumed: true });
  });

  it("passes a step that showed nothing through unchanged", () => {
    const { events } = stream("", ["a", "b"]);
    expect(events).toEqual([
      { type: "step-started", stepIndex: 2, modelId: "m" },
      { type: "text-delta", stepIndex: 2, text: "a" },
      { type: "text-delta", stepIndex: 2, text: "b" },
    ]);
  });

  it("resumes, not restarts, a call retried within one attempt after it showed text", () => {
    const { writer, events } = recordingWriter();
    const resuming = resumingWriter(writer, { stepIndex: 0, modelId: "m", shown: "" });
    resuming.defer({ type: "step-started", stepIndex: 0, modelId: "m" });
    resuming.textDelta(0, "Par");
    // The provider broke off; runModelStep starts the step again.
    resuming.defer({ type: "step-started", stepIndex: 0, modelId: "m" });
    resuming.textDelta(0, "Partial");
    expect(events.filter((event) => event.type === "step-started")).toHaveLength(1);
    expect(stepTextOf(events, 0)).toEqual({ text: "Partial", interruptedText: "", resumed: true });
  });
});

let database: TestDatabase;
let crashDatabase: CrashDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  crashDatabase = await openCrashDatabase(database.url);
});
afterAll(async () => {
  await killAllCrashWorkers();
  await crashDatabase?.close();
  await database?.drop();
});

async function storedStepText(runId: string, stepIndex: number) {
  const rows = await database.query<{ data: RunEventData }>(
    `SELECT data FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`,
    [runId],
  );
  return stepTextOf(
    rows.map((row) => row.data),
    stepIndex,
  );
}

describe("a resumed step whose shown text is older than what is stored", () => {
  // The chaos defect (seed 7): "Step 1 1 of 3" against the stored "Step 1 of 3". The
  // repeated call's writer read what the step showed ("Step"), and a write of the earlier
  // call under the same lease (" 1") committed after that read: the resumed stream, going
  // past "Step", wrote " 1" again.
  it("does not repeat text committed after the read that the repeated call says again", async () => {
    const { identity } = await claimTestRun();
    const modelId = "m";
    const earlier = resumingWriter(createEventWriter(identity), { stepIndex: 0, modelId, shown: "" });
    earlier.defer({ type: "step-started", stepIndex: 0, modelId });
    earlier.textDelta(0, "Step");
    await earlier.flush();

    const shown = (await shownStepText(identity.runId, 0)).text;
    expect(shown).toBe("Step");
    // The earlier call's last write commits only now, after the read.
    earlier.textDelta(0, " 1");
    await earlier.flush();

    const repeated = resumingWriter(createEventWriter(identity), { stepIndex: 0, modelId, shown });
    repeated.defer({ type: "step-started", stepIndex: 0, modelId });
    for (const token of ["Step", " 1", " of", " 3:", " calling", " ledger_read", " now."]) repeated.textDelta(0, token);
    repeated.settle();
    await repeated.flush();

    expect(await storedStepText(identity.runId, 0)).toEqual({
      text: "Step 1 of 3: calling ledger_read now.",
      interruptedText: "",
      resumed: true,
    });
  });
});

describe("a worker killed while its step streams", () => {
  it("keeps the text it had shown and the next worker continues it", async () => {
    const random = createSeededRandom(20_261_201);
    const [run] = await queueCrashRuns({ count: 1, random, plan: [["read"]] });
    if (!run) throw new Error("no run");
    const approver = startApprover(crashDatabase);
    try {
      // Slow tokens, so the kill lands while step 0 streams.
      const config = { leaseMs: 500, concurrency: 1, maxTokenDelayMs: 120, maxToolDelayMs: 0 };
      const first = spawnCrashWorker({ databaseUrl: database.url, config: crashWorkerConfig(random, config) });
      await first.ready;
      const deadline = Date.now() + 120_000;
      let shown: RunEventData[] = [];
      while (Date.now() < deadline) {
        shown = (
          await database.query<{ data: RunEventData }>(`SELECT data FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`, [
            run.runId,
          ])
        ).map((row) => row.data);
        if (shown.filter((event) => event.type === "text-delta").length >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await first.kill();
      const before = stepTextOf(shown, 0).text;
      expect(before.length).toBeGreaterThan(0);

      const second = spawnCrashWorker({
        databaseUrl: database.url,
        config: crashWorkerConfig(random, { ...config, maxTokenDelayMs: 0 }),
      });
      expect(await waitForTerminal(crashDatabase, [run.runId], 120_000)).toBe(true);
      await second.stop();

      const events = (
        await database.query<{ data: RunEventData }>(`SELECT data FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`, [
          run.runId,
        ])
      ).map((row) => row.data);
      const step0 = events.filter((event) => "stepIndex" in event && event.stepIndex === 0);
      // Started once; the repeated call resumed it, and what was shown is where the text begins.
      expect(step0.filter((event) => event.type === "step-started")).toHaveLength(1);
      expect(step0.some((event) => event.type === "step-resumed")).toBe(true);
      const after = stepTextOf(events, 0);
      expect(after.interruptedText).toBe("");
      expect(after.text.startsWith(before)).toBe(true);
      const report = await checkCrashRuns(database.query, [run]);
      expect(report.problems, describeProblems(report.problems)).toEqual([]);
    } finally {
      await approver.stop();
    }
  });
});
