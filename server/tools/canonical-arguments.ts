/** SHA-256 of canonical arguments: what an approval binds to, so any change shows. */
import { createHash } from "node:crypto";
import { canonicalJson } from "../shared/canonical-json";

export function hashArguments(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
