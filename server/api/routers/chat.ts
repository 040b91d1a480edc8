import { tracked } from "@trpc/server";
import { z } from "zod";
import * as conversations from "../../agent/conversations";
import { streamRunEvents } from "../../agent/run-stream";
import { int32Cursor, recordId, text } from "../../shared/text";
import { protectedProcedure, router, whileSessionLasts } from "../trpc";

const id = recordId;

export const chatRouter = router({
  send: protectedProcedure
    .input(
      z.object({
        conversationId: id,
        text: text(conversations.MAX_MESSAGE_CHARS, {
          tooLong: `Messages are limited to ${conversations.MAX_MESSAGE_CHARS.toLocaleString("en")} characters`,
        }),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const run = await conversations.sendMessage({ ownerId: ctx.user.id, ...input });
      return { runId: run.id };
    }),
  cancel: protectedProcedure
    .input(z.object({ runId: id }))
    .mutation(({ ctx, input }) => conversations.cancelRun({ runId: input.runId, userId: ctx.user.id })),
  events: protectedProcedure
    .input(z.object({ runId: id, lastEventId: int32Cursor.nullish() }))
    .subscription(async ({ ctx, input, signal }) => {
      // Authorized before the stream starts, inside the middleware chain, so a refusal is a
      // proper NOT_FOUND rather than an error thrown from the middle of a stream.
      await conversations.requireOwnedRun(input.runId, ctx.user.id);
      const afterSeq = input.lastEventId ? Number.parseInt(input.lastEventId, 10) : 0;
      return whileSessionLasts(ctx, signal, async function* (streamSignal) {
        for await (const event of streamRunEvents({ runId: input.runId, afterSeq, signal: streamSignal })) {
          yield tracked(String(event.seq), event.data);
        }
      });
    }),
});
