"use client";
/**
 * One request in the inbox and the reviewer's decision on it: approve, reject with a
 * reason, or edit the arguments and approve those. `mode` says which form is open; the
 * a/r/e shortcuts act only while this reviewer may decide the request on screen.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { type RouterOutputs, useTRPC } from "../trpc";
import { useKeyboardShortcuts } from "./use-keyboard-shortcuts";

export type RequestDetailData = RouterOutputs["approvals"]["get"];
export type DecisionMode = "idle" | "reject" | "edit";

/** How often an approved request's detail is re-read until its call has an outcome. */
const OUTCOME_POLL_MS = 2_000;

/**
 * An approved request whose call has not finished yet: the approvals watch tells of
 * decisions, not of the call's end, so the detail re-reads itself until it has one.
 */
function awaitsOutcome(data: RequestDetailData | undefined): boolean {
  const request = data?.request;
  return (
    (request?.status === "APPROVED" || request?.status === "CONSUMED") &&
    (request.callStatus === "APPROVED" || request.callStatus === "RUNNING")
  );
}

/** Arguments as the reviewer reads and edits them. */
export function prettyJson(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

export function useRequestDecision({
  requestId,
  meId,
  onDecided,
}: {
  requestId: string;
  meId: string;
  onDecided: () => void;
}) {
  const trpc = useTRPC();
  const detail = useQuery({
    ...trpc.approvals.get.queryOptions({ id: requestId }),
    refetchInterval: (query) => (awaitsOutcome(query.state.data) ? OUTCOME_POLL_MS : false),
  });
  const [mode, setMode] = useState<DecisionMode>("idle");
  const [reason, setReason] = useState("");
  const [edited, setEdited] = useState("");
  const [editError, setEditError] = useState<string | null>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const editRef = useRef<HTMLTextAreaElement>(null);
  const decide = useMutation(
    trpc.approvals.decide.mutationOptions({ onSuccess: onDecided, onSettled: () => void detail.refetch() }),
  );

  const request = detail.data?.request;
  const pending = request?.status === "PENDING";
  const own = request?.requesterId === meId;
  const alreadyApproved = detail.data?.decisions.some((decision) => decision.reviewerId === meId) ?? false;
  const canDecide = pending && !own && !alreadyApproved && !decide.isPending;

  function approve() {
    if (canDecide) decide.mutate({ requestId, verdict: "approve" });
  }

  function reject() {
    if (canDecide && reason.trim()) decide.mutate({ requestId, verdict: "reject", reason });
  }

  function submitEdit() {
    if (!canDecide) return;
    try {
      const editedArgs = JSON.parse(edited);
      setEditError(null);
      decide.mutate({ requestId, verdict: "approve", editedArgs });
    } catch (error) {
      setEditError(`Not valid JSON: ${(error as Error).message}`);
    }
  }

  // The form's field takes focus once it is on screen (after this render commits).
  function openReject() {
    setMode("reject");
    setTimeout(() => reasonRef.current?.focus(), 0);
  }

  function openEdit() {
    if (!request) return;
    setEdited(prettyJson(request.editedArgs ?? request.args));
    setMode("edit");
    setTimeout(() => editRef.current?.focus(), 0);
  }

  // Focus goes back to the button that opened the form (its data-decision-action names the mode).
  function closeForm() {
    const closed = mode;
    setMode("idle");
    setTimeout(() => document.querySelector<HTMLElement>(`[data-decision-action="${closed}"]`)?.focus(), 0);
  }

  useKeyboardShortcuts(canDecide && mode === "idle" ? { a: approve, r: openReject, e: openEdit } : {});

  return {
    detail,
    request,
    pending,
    own,
    alreadyApproved,
    canDecide,
    mode,
    closeForm,
    reason,
    setReason,
    reasonRef,
    edited,
    setEdited,
    editRef,
    editError,
    decide,
    approve,
    reject,
    submitEdit,
    openReject,
    openEdit,
  };
}

export type RequestDecision = ReturnType<typeof useRequestDecision>;
