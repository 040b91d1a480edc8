/** The reviewer's decision on a pending request: approve, reject with a reason, or edit and approve. */
import type { RequestDecision } from "../hooks/use-request-decision";
import { Button, Kbd } from "../ui/button";
import { InlineError } from "../ui/notice";

const textareaClass = "w-full rounded-lg border border-slate-300 bg-white p-2";

export function DecisionBar({ decision }: { decision: RequestDecision }) {
  const { mode, canDecide, own, alreadyApproved } = decision;
  return (
    <section aria-label="Decision" data-testid="decision-bar" className="space-y-2">
      {own ? (
        <p className="text-sm text-amber-800">Your own run asked for this; another reviewer must decide.</p>
      ) : null}
      {alreadyApproved ? (
        <p className="text-sm text-slate-600">You approved this; it needs another reviewer's approval too.</p>
      ) : null}
      {mode === "reject" ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            decision.reject();
          }}
          className="space-y-2"
        >
          <label htmlFor="reject-reason" className="block text-sm font-medium">
            Reason for rejecting (the agent and the requester see it)
          </label>
          <textarea
            id="reject-reason"
            ref={decision.reasonRef}
            value={decision.reason}
            onChange={(event) => decision.setReason(event.target.value)}
            rows={3}
            className={`${textareaClass} text-sm`}
            onKeyDown={(event) => {
              if (event.key === "Escape") decision.closeForm();
            }}
          />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" variant="danger" size="lg" disabled={!decision.reason.trim() || !canDecide}>
              Reject
            </Button>
            <Button size="lg" onClick={decision.closeForm}>
              Cancel
            </Button>
          </div>
        </form>
      ) : mode === "edit" ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            decision.submitEdit();
          }}
          className="space-y-2"
        >
          <label htmlFor="edit-arguments" className="block text-sm font-medium">
            Edited arguments (JSON; checked against the tool's schema and the policy again)
          </label>
          <textarea
            id="edit-arguments"
            ref={decision.editRef}
            value={decision.edited}
            onChange={(event) => decision.setEdited(event.target.value)}
            rows={8}
            className={`${textareaClass} font-mono text-xs`}
            onKeyDown={(event) => {
              if (event.key === "Escape") decision.closeForm();
            }}
          />
          <InlineError message={decision.editError} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" variant="approve" size="lg" disabled={!canDecide}>
              Approve with these arguments
            </Button>
            <Button size="lg" onClick={decision.closeForm}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className="flex flex-wrap gap-2">
          <Button variant="approve" size="lg" onClick={decision.approve} disabled={!canDecide}>
            Approve <Kbd>a</Kbd>
          </Button>
          <Button
            variant="danger"
            size="lg"
            onClick={decision.openReject}
            disabled={!canDecide}
            data-decision-action="reject"
          >
            Reject… <Kbd>r</Kbd>
          </Button>
          <Button size="lg" onClick={decision.openEdit} disabled={!canDecide} data-decision-action="edit">
            Edit and approve… <Kbd>e</Kbd>
          </Button>
        </div>
      )}
      <InlineError message={decision.decide.error?.message} />
    </section>
  );
}
