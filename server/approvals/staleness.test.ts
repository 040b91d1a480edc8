import { describe, expect, it } from "vitest";
import { type BindingMoment, type CallNow, staleBecause } from "./staleness";

const bound = { toolName: "delete_file", toolVersion: "v1", policyVersion: 3 };
const same: CallNow = { ...bound };

describe("staleBecause", () => {
  it.each<[string, CallNow, BindingMoment, string | null]>([
    ["nothing changed, at the decision", same, "request", null],
    ["nothing changed, before execution", same, "approval", null],
    ["the tool is gone", { ...same, toolVersion: undefined }, "request", "the tool delete_file no longer exists"],
    ["the tool is gone", { ...same, toolVersion: undefined }, "approval", "the tool delete_file no longer exists"],
    [
      "another tool is named",
      { ...same, toolName: "wipe_disk" },
      "approval",
      "the call names a different tool than the one approved",
    ],
    [
      "another tool is named",
      { ...same, toolName: "wipe_disk" },
      "request",
      "the call names a different tool than the one requested",
    ],
    [
      "the definition changed",
      { ...same, toolVersion: "v2" },
      "request",
      "the tool's definition changed since the request",
    ],
    [
      "the definition changed",
      { ...same, toolVersion: "v2" },
      "approval",
      "the tool's definition changed after approval",
    ],
    ["the policy changed", { ...same, policyVersion: 4 }, "request", "the policy changed since the request"],
    ["the policy changed", { ...same, policyVersion: 4 }, "approval", "the policy changed after approval"],
    // The first reason that holds is the one given: a missing tool says nothing of versions.
    [
      "everything changed",
      { toolName: "other", toolVersion: undefined, policyVersion: 9 },
      "approval",
      "the tool other no longer exists",
    ],
    [
      "definition and policy changed",
      { ...same, toolVersion: "v2", policyVersion: 4 },
      "approval",
      "the tool's definition changed after approval",
    ],
  ])("%s (%s → %s)", (_what, now, moment, expected) => {
    expect(staleBecause(bound, now, moment)).toBe(expected);
  });
});
