/**
 * What an approval binds to: SHA-256 over the tool name, the canonical arguments, the
 * tool's definition version and the policy version. Any of them changing changes the hash.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../shared/canonical-json";

export interface Binding {
  toolName: string;
  args: unknown;
  toolVersion: string;
  policyVersion: number;
}

export function bindingHash(binding: Binding): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        tool: binding.toolName,
        args: binding.args,
        toolVersion: binding.toolVersion,
        policyVersion: binding.policyVersion,
      }),
    )
    .digest("hex");
}
