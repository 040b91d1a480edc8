import { verifyAuditChain } from "../../audit/record-audit-event";
import { checkHealth } from "../../db/health";
import { defaultModelId, listModels } from "../../models/registry";
import { adminProcedure, router } from "../trpc";

export const adminRouter = router({
  overview: adminProcedure.query(async () => ({
    health: await checkHealth(),
    models: listModels().map(({ id, label, isDemo }) => ({ id, label, isDemo })),
    defaultModelId: defaultModelId(),
  })),
  verifyAudit: adminProcedure.mutation(() => verifyAuditChain()),
});
