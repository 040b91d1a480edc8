/**
 * Client cancellation across instances. A notifications/cancelled arrives in its own
 * POST, possibly on another instance than the tools/call it cancels, so it is passed on
 * by NOTIFY: the instance waiting on that request (keyed by session nonce and JSON-RPC
 * request id) aborts the wait, which cancels the call's run.
 */
import { GATEWAY_CANCEL_CHANNEL, notifyGatewayCancel } from "../db/gateway";
import { listen } from "../db/notifications";

const waiting = new Map<string, AbortController>();
let listening: Promise<unknown> | undefined;

export function cancellationKey(nonce: string, requestId: string | number): string {
  return JSON.stringify([nonce, requestId]);
}

/** A signal aborted when the client cancels this request; call `release` when the call ends. */
export async function watchCancellation(key: string): Promise<{ signal: AbortSignal; release: () => void }> {
  listening ??= listen(GATEWAY_CANCEL_CHANNEL, (payload) => waiting.get(payload)?.abort()).catch((error) => {
    listening = undefined;
    throw error;
  });
  await listening;
  const controller = new AbortController();
  waiting.set(key, controller);
  return {
    signal: controller.signal,
    release: () => {
      if (waiting.get(key) === controller) waiting.delete(key);
    },
  };
}

export async function cancelRequest(key: string): Promise<void> {
  const local = waiting.get(key);
  if (local) return local.abort();
  await notifyGatewayCancel(key);
}
