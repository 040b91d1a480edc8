/** The inbox's live signal: the pending count at once, and again with the id of each request that changed. */
import { describe, expect, it } from "vitest";
import { createTestUser } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";
import { watchApprovals } from "./watch";

const { world, requestDeletion } = useDeletionWorld();

describe("watchApprovals", () => {
  it("sends the pending count at once, then each change with its request's id, and ends when aborted", async () => {
    const abort = new AbortController();
    const watch = watchApprovals(abort.signal);
    expect((await watch.next()).value).toEqual({ pending: 0, changedId: null });
    const first = await requestDeletion("watched.txt");
    expect((await watch.next()).value).toEqual({ pending: 1, changedId: first.requestId });
    await world.decide(first.requestId, (await createTestUser("REVIEWER")).id, { verdict: "reject", reason: "no" });
    expect((await watch.next()).value).toEqual({ pending: 0, changedId: first.requestId });
    abort.abort();
    expect((await watch.next()).done).toBe(true);
  });
});
