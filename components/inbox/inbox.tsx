"use client";
/** The reviewer's inbox: requests on the left, the one selected on the right, driven by mouse or keyboard. */
import { useEffect, useRef, useState } from "react";
import { useInboxList } from "../hooks/use-inbox-list";
import { useInboxSelection } from "../hooks/use-inbox-selection";
import { useKeyboardShortcuts } from "../hooks/use-keyboard-shortcuts";
import { Button } from "../ui/button";
import { InlineError } from "../ui/notice";
import { Spinner } from "../ui/status";
import { BatchBar, BatchReport } from "./batch-bar";
import { InboxFilterBar, InboxTabs } from "./inbox-filters";
import { InboxList } from "./inbox-list";
import { NewRequestAnnouncer, NotificationOptIn } from "./new-requests";
import { RequestDetail } from "./request-detail";

/** Tailwind's `lg`, where the list and the detail sit side by side (the classes below). */
const LIST_BESIDE_DETAIL = "(min-width: 64rem)";

function focusRow(requestId: string): void {
  document
    .querySelector<HTMLElement>(`[data-testid="inbox-item"][data-request-id="${CSS.escape(requestId)}"]`)
    ?.focus();
}

export function Inbox({ meId }: { meId: string }) {
  const inbox = useInboxList();
  const selection = useInboxSelection(inbox.itemIds);
  const { selectedId, opened } = selection;
  const pendingView = inbox.view === "pending";
  // Set when the reader opens a request (click, Enter): focus then moves to it. Moving with j/k keeps focus.
  const [focusDetail, setFocusDetail] = useState(false);
  const returnFocusTo = useRef<string | null>(null);

  const detailSection = useRef<HTMLElement>(null);

  useKeyboardShortcuts({
    j: () => selection.move(1),
    ArrowDown: () => selection.move(1),
    k: () => selection.move(-1),
    ArrowUp: () => selection.move(-1),
    x: selectedId && pendingView ? () => inbox.checks.toggle(selectedId) : undefined,
    // Escape in the detail goes back to the list; a dialog open on top keeps Escape for itself.
    Escape: selectedId
      ? () => {
          if (document.querySelector('[aria-modal="true"]')) return;
          if (detailSection.current?.contains(document.activeElement)) close();
        }
      : undefined,
  });

  function open(id: string) {
    setFocusDetail(true);
    selection.select(id);
  }

  // Closing returns focus to the row the request came from. On a narrow screen the detail
  // replaces the list, so it is closed first; on a wide one the request stays on screen.
  function close() {
    setFocusDetail(false);
    if (window.matchMedia(LIST_BESIDE_DETAIL).matches) {
      if (selectedId) focusRow(selectedId);
      return;
    }
    returnFocusTo.current = selectedId;
    selection.select(null);
  }
  useEffect(() => {
    if (opened || !returnFocusTo.current) return;
    const id = returnFocusTo.current;
    returnFocusTo.current = null;
    focusRow(id);
  }, [opened]);

  return (
    <div className="flex h-full min-w-0">
      <NewRequestAnnouncer items={inbox.list.data ?? null} />
      <section
        aria-label="Requests"
        className={`${opened ? "hidden lg:flex" : "flex"} w-full min-w-0 flex-col border-r border-slate-200 bg-white lg:w-[26rem] lg:shrink-0`}
      >
        <div className="space-y-2 border-b border-slate-200 p-3">
          <InboxTabs
            view={inbox.view}
            onChange={(view) => {
              inbox.changeView(view);
              selection.select(null);
            }}
          />
          <InboxFilterBar filters={inbox.filters} tools={inbox.tools} onChange={inbox.setFilter} />
          <NotificationOptIn meId={meId} />
          {pendingView && inbox.checks.checked.size > 0 ? (
            <BatchBar
              count={inbox.checks.checked.size}
              checkedRequests={(inbox.list.data ?? []).filter((item) => inbox.checks.checked.has(item.id))}
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
            onOpen={open}
          />
        </div>
      </section>
      <section
        ref={detailSection}
        aria-label="Request"
        data-scroll-box
        className={`${opened ? "block" : "hidden lg:block"} min-w-0 flex-1 overflow-y-auto`}
      >
        {selectedId ? (
          <>
            <div className="sticky top-0 z-20 border-b border-slate-200 bg-white px-3 py-2 lg:hidden">
              <Button size="sm" variant="ghost" onClick={close}>
                ← Back to requests
              </Button>
            </div>
            <RequestDetail
              key={selectedId}
              requestId={selectedId}
              meId={meId}
              onDecided={inbox.refresh}
              focusOnLoad={focusDetail}
            />
          </>
        ) : (
          <div className="flex h-full items-center justify-center p-6 text-sm text-slate-500">
            Select a request to see what it would do.
          </div>
        )}
      </section>
    </div>
  );
}
