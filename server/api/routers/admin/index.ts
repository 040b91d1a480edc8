/**
 * The admin console's procedures, one file per area. Every one is an adminProcedure (the
 * role is read from the database on each call); services under server/ do the work.
 */
import { verifyAuditChain } from "../../../audit/record-audit-event";
import { countActiveAdmins } from "../../../auth/user-admin";
import { checkHealth } from "../../../db/health";
import { ensureFreshModelConfig } from "../../../models/model-config";
import { defaultModelId, listModels } from "../../../models/registry";
import { adminProcedure, router } from "../../trpc";
import { adminAuditRouter } from "./audit";
import { adminMcpServersRouter } from "./mcp-servers";
import { adminModelsRouter } from "./models";
import { adminRulesRouter } from "./rules";
import { adminSecretsRouter } from "./secrets";
import { adminSettingsRouter } from "./settings";
import { adminToolsRouter } from "./tools";
import { adminUsersRouter } from "./users";

export const adminRouter = router({
  overview: adminProcedure.query(async () => {
    await ensureFreshModelConfig();
    return {
      health: await checkHealth(),
      models: listModels().map(({ id, label, isDemo }) => ({ id, label, isDemo })),
      defaultModelId: defaultModelId(),
      activeAdmins: await countActiveAdmins(),
    };
  }),
  verifyAudit: adminProcedure.mutation(() => verifyAuditChain()),
  tools: adminToolsRouter,
  rules: adminRulesRouter,
  users: adminUsersRouter,
  models: adminModelsRouter,
  settings: adminSettingsRouter,
  audit: adminAuditRouter,
  secrets: adminSecretsRouter,
  mcpServers: adminMcpServersRouter,
});
