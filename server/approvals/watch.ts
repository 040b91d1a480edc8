/** A live signal for inboxes: the pending count, sent at once and whenever a request changes. */

import { APPROVALS_CHANNEL, countPendingApprovals } from "../db/approvals";
import { listen } from "../db/notifications";

export async function* watchApprovals(
  signal?: AbortSignal,
): AsyncGenerator<{ pending: number; changedId: string | null }> {
  const changes: string[] = [];
  let wake: (() => void) | undefined;
  const unlisten = await listen(APPROVALS_CHANNEL, (payload) => {
    changes.push(payload);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    yield { pending: await countPendingApprovals(), changedId: null };
    while (!signal?.aborted) {
      if (changes.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 30_000);
        });
        wake = undefined;
        continue;
      }
      const changedId = changes.splice(0).at(-1) ?? null;
      yield { pending: await countPendingApprovals(), changedId };
    }
  } finally {
    unlisten();
    signal?.removeEventListener("abort", onAbort);
  }
}
