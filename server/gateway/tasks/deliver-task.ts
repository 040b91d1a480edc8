/**
 * The first time a task's terminal outcome is handed out (tasks/result, or a cancel),
 * the run's outcome is audited as delivered, once: a later identical plain call then
 * starts afresh instead of picking up this run (call-tool.ts).
 */
import { markGatewayTaskDelivered } from "../../db/gateway-tasks";
import { markDelivered } from "../call-tool";

export async function deliverTask(options: { taskId: string; runId: string; actorId: string; outcome: string }) {
  if (await markGatewayTaskDelivered(options.taskId)) {
    await markDelivered(options.runId, options.actorId, options.outcome);
  }
}
