import { z } from "zod";
import { liveFigures } from "../../agent/live-figures";
import { getRunTrace } from "../../agent/run-trace-view";
import { recordId } from "../../shared/text";
import { defaultToolRegistry } from "../../tools/default-registry";
import { adminProcedure, protectedProcedure, router } from "../trpc";

export const observabilityRouter = router({
  /** A run's waterfall; authorized like the run (owner, a reviewer of its approvals, an admin). */
  runTrace: protectedProcedure
    .input(z.object({ runId: recordId }))
    .query(({ ctx, input }) => getRunTrace({ runId: input.runId, viewer: ctx.user, tools: defaultToolRegistry() })),
  liveFigures: adminProcedure.query(() => liveFigures()),
});
