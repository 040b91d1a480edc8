/**
 * send_message: send an email-style message. DESTRUCTIVE (it cannot be unsent); the
 * preview is the rendered message and where it would go. Every message is stored in the
 * outbox table under the call's idempotency key and then, when configured, delivered by
 * SMTP and/or webhook. Idempotent in the strict sense: a retried execution never sends
 * twice — it returns the stored outcome, and if an earlier attempt was cut off in the
 * middle of an external delivery it reports the outcome as unknown instead of guessing.
 */
import { z } from "zod";
import { claimOutboxMessage, finishOutboxMessage, insertOutboxMessage } from "../../db/outbox";
import { defineTool } from "../define-tool";
import type { OutboxTransport } from "./transports";

export class DeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeliveryError";
  }
}

// No CR or LF: a line break in a header field would let the model add headers of its own.
const singleLine = (what: string, max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !/[\r\n]/.test(value), `${what} must be a single line`);

export function renderMessage(message: { to: string; subject: string; body: string }, from: string): string {
  return `From: ${from}\nTo: ${message.to}\nSubject: ${message.subject}\n\n${message.body}`;
}

export function createSendMessageTool(options: { transports: OutboxTransport[]; from: string }) {
  const { transports, from } = options;
  return defineTool({
    name: "send_message",
    description: "Send a message (an email) to one recipient. A human must approve each message before it is sent.",
    input: z.object({
      to: z.email({ error: "expected one email address" }).max(320),
      subject: singleLine("The subject", 200),
      body: z.string().min(1).max(100_000),
    }),
    output: z.object({
      messageId: z.string(),
      status: z.literal("DELIVERED"),
      deliveredVia: z.array(z.string()),
      /** True when an earlier execution of this call had already sent it. */
      replayed: z.boolean(),
    }),
    risk: "DESTRUCTIVE",
    idempotent: true,
    facts(input) {
      return { to: input.to, recipientDomain: input.to.split("@").pop()?.toLowerCase() ?? "" };
    },
    async preview(input) {
      const via = ["outbox table", ...transports.map((transport) => transport.description)];
      return {
        summary: `Send "${input.subject}" to ${input.to}`,
        detail: `${renderMessage(input, from)}\n\n— delivered via: ${via.join("; ")}`,
        format: "text",
      };
    },
    async execute(input, context) {
      context.signal.throwIfAborted();
      const { row, inserted } = await insertOutboxMessage({
        ...input,
        runId: context.runId,
        toolCallId: context.toolCallId,
        requestedBy: context.actor.id,
        idempotencyKey: context.idempotencyKey,
        deliveredNow: transports.length === 0,
      });
      if (row.status === "DELIVERED") {
        return { messageId: row.id, status: "DELIVERED" as const, deliveredVia: row.deliveredVia, replayed: !inserted };
      }
      if (row.status === "FAILED") throw new DeliveryError(row.error ?? "The message could not be delivered.");
      if (row.status === "SENDING" || !(await claimOutboxMessage(row.id))) {
        throw new DeliveryError(
          `Delivery of outbox message ${row.id} was started before and its outcome is unknown; it is not sent again. Check the receiving side.`,
        );
      }
      const deliveredVia = ["outbox"];
      for (const transport of transports) {
        try {
          await transport.send(input, { idempotencyKey: context.idempotencyKey, signal: context.signal });
          deliveredVia.push(transport.name);
        } catch (error) {
          // Cut off mid-delivery: whether it arrived is unknown, so the row stays SENDING.
          if (context.signal.aborted) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          const message = `Delivery via ${transport.name} failed: ${reason}${deliveredVia.length > 1 ? ` (already delivered via ${deliveredVia.slice(1).join(", ")})` : ""}`;
          await finishOutboxMessage(row.id, { status: "FAILED", deliveredVia, error: message });
          throw new DeliveryError(message);
        }
      }
      await finishOutboxMessage(row.id, { status: "DELIVERED", deliveredVia });
      context.logger.info("message sent", { outboxMessageId: row.id, deliveredVia });
      return { messageId: row.id, status: "DELIVERED" as const, deliveredVia, replayed: false };
    },
  });
}
