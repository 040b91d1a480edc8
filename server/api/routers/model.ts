import { ensureFreshModelConfig } from "../../models/model-config";
import { defaultModelId, listModels } from "../../models/registry";
import { protectedProcedure, router } from "../trpc";

export const modelRouter = router({
  list: protectedProcedure.query(async () => {
    await ensureFreshModelConfig();
    return {
      models: listModels().map(({ id, label, isDemo, provider }) => ({ id, label, isDemo, provider })),
      defaultModelId: defaultModelId(),
    };
  }),
});
