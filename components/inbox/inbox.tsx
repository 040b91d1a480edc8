"use client";
/** The reviewer's inbox: requests on the left, the one selected on the right, driven by mouse or keyboard. */
import { useInboxList } from "../hooks/use-inbox-list";
import { useInboxSelection } from "../hooks/use-inbox-selection";
import { useKeyboardShortcuts } from "../hooks/use-keyboard-shortcuts";
import { InlineError } from "../ui/notice";
import { Spinner } from "../ui/status";
import { BatchBar, BatchReport } from "./batch-bar";
import { InboxFilterBar, InboxTabs } from "./inbox-filters";
import { InboxList } from "./inbox-list";
import { RequestDetail } from "./request-detail";

export function Inbox({ meId }: { meId: string }) {
  const inbox = useInboxList();
  const selection = useInboxSelection(inbox.itemIds);
  const { selectedId } = selection;
  const pendingView = inbox.view === "pending";

  useKeyboardShortcuts({
    j: () => selection.move(1),
    ArrowDown: () => selection.move(1),
    k: () => selection.move(-1),
    ArrowUp: () => selection.move(-1),
    x: selectedId && pendingView ? () => inbox.checks.toggle(selectedId) : undefined,
  });

  return (
    <div className="flex h-full">
      <section aria-label="Requests" className="flex w-[26rem] shrink-0 flex-col border-r border-slate-200 bg-white">
        <div className="space-y-2 border-b border-slate-200 p-3">
          <InboxTabs
            view={inbox.view}
            onChange={(view) => {
              inbox.changeView(view);
              selection.select(null);
            }}
          />
          <InboxFilterBar filters={inbox.filters} tools={inbox.tools} onChange={inbox.setFilter} />
          {pendingView && inbox.checks.checked.size > 0 ? (
            <BatchBar
              count={inbox.checks.checked.size}
              pending={inbox.batch.isPending}
              onDecide={inbox.decideChecked}
            />
          ) : null}
          {inbox.batchResult ? <BatchReport result={inbox.batchResult} onDismiss={inbox.dismissBatchResult} /> : null}
          <InlineError message={inbox.batch.error?.message} className="text-xs" />
        </div>
        <div className="min-h-0 flex-1 overflow-y-auto">
          {inbox.list.isPending ? <Spinner className="p-4" /> : null}
          <InlineError message={inbox.list.error?.message} className="p-4" />
          {inbox.list.data && inbox.items.length === 0 ? (
            <div className="p-8 text-center">
              <p className="font-medium">{pendingView ? "No pending actions" : "Nothing decided yet"}</p>
              <p className="mt-1 text-sm text-slate-600">
                {pendingView
                  ? "When an agent asks to change something — write or delete a file, modify data, run a command — the request waits here for a reviewer."
                  : "Decided requests appear here."}
              </p>
            </div>
          ) : null}
          <InboxList
            items={inbox.items}
            selectedId={selectedId}
            meId={meId}
            checks={pendingView ? inbox.checks : null}
            onOpen={selection.select}
          />
        </div>
      </section>
      <section aria-label="Request" className="min-w-0 flex-1 overflow-y-auto">
        {selectedId ? (
          <RequestDetail key={selectedId} requestId={selectedId} meId={meId} onDecided={inbox.refresh} />
        ) : (
          <div className="flex h-full items-center justify-center text-sm text-slate-500">
            Select a request to see what it would do.
          </div>
        )}
      </section>
    </div>
  );
}
