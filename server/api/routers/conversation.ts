import { z } from "zod";
import * as conversations from "../../agent/conversations";
import { protectedProcedure, router } from "../trpc";

const id = z.string().min(1).max(64);
const title = z.string().trim().min(1, "A title cannot be empty").max(120, "Titles are at most 120 characters");

export const conversationRouter = router({
  list: protectedProcedure.query(({ ctx }) => conversations.listConversations(ctx.user.id)),
  create: protectedProcedure
    .input(z.object({ title: title.optional(), modelId: z.string().max(200).optional() }).optional())
    .mutation(({ ctx, input }) => conversations.createConversation({ ownerId: ctx.user.id, ...input })),
  rename: protectedProcedure
    .input(z.object({ id, title }))
    .mutation(({ ctx, input }) => conversations.renameConversation({ ...input, ownerId: ctx.user.id })),
  setModel: protectedProcedure
    .input(z.object({ id, modelId: z.string().min(1).max(200) }))
    .mutation(({ ctx, input }) => conversations.setConversationModel({ ...input, ownerId: ctx.user.id })),
  delete: protectedProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => conversations.deleteConversation({ ...input, ownerId: ctx.user.id })),
  get: protectedProcedure
    .input(z.object({ id }))
    .query(({ ctx, input }) => conversations.getTranscript({ id: input.id, ownerId: ctx.user.id })),
});
