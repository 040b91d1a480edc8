/**
 * Slack-compatible webhook notifications (APPROVAL_WEBHOOK_URL): a new request with a
 * link to it in the inbox, and expiries. Only a notice — deciding always happens signed
 * in to Airlock. Sent after the transaction commits; a failure is logged, never fatal.
 */
import { env } from "../env";
import { logger } from "../telemetry/logger";

export interface WebhookNotice {
  kind: "approval-requested" | "approval-expired";
  requestId: string;
  toolName: string;
  riskClass: string;
  summary: string;
  requester: string;
}

function inboxLink(requestId: string): string {
  const base = env().NEXTAUTH_URL ?? `http://localhost:${env().PORT}`;
  return `${base.replace(/\/$/, "")}/inbox?request=${encodeURIComponent(requestId)}`;
}

export function renderNotice(notice: WebhookNotice) {
  const link = inboxLink(notice.requestId);
  const headline =
    notice.kind === "approval-requested"
      ? `Approval needed: ${notice.toolName} (${notice.riskClass}) requested by ${notice.requester}`
      : `Approval request expired without a decision: ${notice.toolName} requested by ${notice.requester}`;
  return {
    text: `${headline}\n${notice.summary}\n${link}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${headline}*\n${notice.summary}` } },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: "Open in Airlock" }, url: link }],
      },
    ],
    airlock: { kind: notice.kind, requestId: notice.requestId, url: link },
  };
}

export async function sendWebhookNotice(notice: WebhookNotice): Promise<void> {
  const url = env().APPROVAL_WEBHOOK_URL;
  if (!url) return;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(renderNotice(notice)),
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok)
      logger.warn("approval webhook answered with an error", { status: response.status, requestId: notice.requestId });
  } catch (error) {
    logger.warn("approval webhook could not be reached", {
      error: (error as Error).message,
      requestId: notice.requestId,
    });
  }
}
