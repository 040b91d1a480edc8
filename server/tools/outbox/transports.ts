/**
 * Where send_message delivers besides the outbox table: an SMTP server (nodemailer) and/or
 * a webhook. Both carry the call's idempotency key — as the Message-ID and as an
 * Idempotency-Key header — so a receiver can recognise a message it has seen. Their
 * descriptions, shown in previews, never include credentials.
 */
import nodemailer from "nodemailer";

export interface OutgoingMessage {
  to: string;
  subject: string;
  body: string;
}

export interface OutboxTransport {
  /** "smtp" or "webhook": recorded in OutboxMessage.deliveredVia. */
  name: string;
  /** For previews: where it goes, without secrets. */
  description: string;
  send(message: OutgoingMessage, options: { idempotencyKey: string; signal: AbortSignal }): Promise<void>;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
}

export function createSmtpTransport(options: { url: string; from: string; timeoutMs?: number }): OutboxTransport {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const transporter = nodemailer.createTransport(options.url, {
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } as never);
  return {
    name: "smtp",
    description: `SMTP ${withoutCredentials(options.url)} from ${options.from}`,
    async send(message, { idempotencyKey, signal }) {
      signal.throwIfAborted();
      await transporter.sendMail({
        from: options.from,
        to: message.to,
        subject: message.subject,
        text: message.body,
        messageId: `<${idempotencyKey.replace(/[^A-Za-z0-9.:_-]/g, "_")}@airlock>`,
      });
    },
  };
}

export function createWebhookTransport(options: { url: string; timeoutMs?: number }): OutboxTransport {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    name: "webhook",
    description: `webhook ${withoutCredentials(options.url)}`,
    async send(message, { idempotencyKey, signal }) {
      const response = await fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
        body: JSON.stringify({ ...message, idempotencyKey }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        redirect: "error",
      });
      if (!response.ok) throw new Error(`the webhook answered ${response.status} ${response.statusText}`.trim());
    },
  };
}
