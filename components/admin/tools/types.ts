import type { RouterOutputs } from "../../trpc";

export type AdminTool = RouterOutputs["admin"]["tools"]["list"][number];
export type RuleList = RouterOutputs["admin"]["rules"]["list"];
