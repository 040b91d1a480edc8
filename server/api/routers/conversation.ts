import { z } from "zod";
import * as conversations from "../../agent/conversations";
import { recordId, text } from "../../shared/text";
import { protectedProcedure, router } from "../trpc";

const id = recordId;
const title = text(120, { trim: true, tooLong: "Titles are at most 120 characters" }).min(1, "A title cannot be empty");
const modelId = text(200).min(1);

export const conversationRouter = router({
  list: protectedProcedure.query(({ ctx }) => conversations.listConversations(ctx.user.id)),
  create: protectedProcedure
    .input(z.object({ title: title.optional(), modelId: modelId.optional() }).optional())
    .mutation(({ ctx, input }) => conversations.createConversation({ ownerId: ctx.user.id, ...input })),
  rename: protectedProcedure
    .input(z.object({ id, title }))
    .mutation(({ ctx, input }) => conversations.renameConversation({ ...input, ownerId: ctx.user.id })),
  setModel: protectedProcedure
    .input(z.object({ id, modelId }))
    .mutation(({ ctx, input }) => conversations.setConversationModel({ ...input, ownerId: ctx.user.id })),
  delete: protectedProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => conversations.deleteConversation({ ...input, ownerId: ctx.user.id })),
  get: protectedProcedure
    .input(z.object({ id }))
    .query(({ ctx, input }) => conversations.getTranscript({ id: input.id, ownerId: ctx.user.id })),
});
