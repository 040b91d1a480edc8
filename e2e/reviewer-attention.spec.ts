/**
 * A reviewer notices new work and does it by keyboard (issue 16): the opt-in browser
 * notification for a request routed to them (not their own, not before they opted in),
 * the polite announcement of arrivals, focus on opening and closing a request (desktop
 * and phone), the decision forms and the batch dialog taking focus and giving it back,
 * and a batch chosen and approved with no mouse event at all.
 *
 * One reviewer browser serves every test, and requests are made over tRPC (the demo
 * model turns "run rm -f …" into one shell call that waits for approval); the ones the
 * focus and batch tests use are made once, up front, in parallel. The
 * browser's Notification API is replaced by a recorder (the boundary: what the page asks
 * the browser to show), and the page is told it is in the background when that matters.
 */
import type { Browser, Locator, Page } from "@playwright/test";
import { expect, signedInPage, test, USERS } from "./fixtures";
import { resultOf } from "./pages/admin-page";
import { InboxPage } from "./pages/inbox-page";
import { SignInPage } from "./pages/sign-in-page";
import { VIEWPORTS } from "./viewports";

interface RecordedNotification {
  title: string;
  body: string;
  tag: string;
}
interface TestWindow {
  recordedNotifications: (RecordedNotification & { onclick: (() => void) | null })[];
  pageHidden: boolean;
  mouseEvents: string[];
  announcements: string[];
}

/** Runs before the app's scripts: the recorder stands in for window.Notification, with the context's permission. */
function installBrowserBoundary() {
  const testWindow = window as unknown as TestWindow;
  const RealNotification = window.Notification;
  testWindow.recordedNotifications = [];
  testWindow.pageHidden = false;
  testWindow.mouseEvents = [];
  class RecordingNotification {
    static get permission() {
      return RealNotification.permission;
    }
    static requestPermission() {
      return RealNotification.requestPermission();
    }
    onclick: (() => void) | null = null;
    constructor(
      readonly title: string,
      options: { body?: string; tag?: string } = {},
    ) {
      testWindow.recordedNotifications.push(
        Object.assign(this, { body: options.body ?? "", tag: options.tag ?? "" }) as never,
      );
    }
    close() {}
  }
  Object.defineProperty(window, "Notification", { value: RecordingNotification, configurable: true, writable: true });
  // The tab in the background, when a test says so (a notification is for a tab nobody is looking at).
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => testWindow.pageHidden });
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true,
    get: () => (testWindow.pageHidden ? "hidden" : "visible"),
  });
  for (const type of ["mousedown", "mouseup", "pointerdown", "pointerup", "mousemove"]) {
    window.addEventListener(type, () => testWindow.mouseEvents.push(type), { capture: true });
  }
}

let user: Page;
let reviewer: Page;
let inbox: InboxPage;
/** Pending requests from the user for the focus, dialog and batch tests. */
let shared: { focus: string; batch: [string, string] };
/** Every request made here, decided or cancelled in afterAll so later files find the inbox as they left it. */
const made: { id: string; by: Page }[] = [];

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  user = await signedInPage(browser, "USER");
  const context = await browser.newContext({ permissions: ["notifications"] });
  await context.addInitScript(installBrowserBoundary);
  reviewer = await context.newPage();
  await new SignInPage(reviewer).signIn(USERS.REVIEWER.email, USERS.REVIEWER.password);
  await expect(reviewer).toHaveURL(/\/chat/);
  inbox = new InboxPage(reviewer);
  const [focus, batchOne, batchTwo] = await Promise.all(
    ["focus-me.tmp", "batch-one.tmp", "batch-two.tmp"].map((file) => requestRemoval(user, file)),
  );
  if (!focus || !batchOne || !batchTwo) throw new Error("requests missing");
  shared = { focus, batch: [batchOne, batchTwo] };
});

test.afterAll(async () => {
  const pending = await resultOf<{ id: string; status: string }[]>(
    reviewer,
    "approvals.list",
    { statuses: ["PENDING"], limit: 200 },
    "query",
  );
  const open = new Set(pending.map((item) => item.id));
  for (const { id, by } of made.filter((entry) => open.has(entry.id))) {
    if (by === reviewer) await resultOf(reviewer, "approvals.cancel", { requestId: id }, "mutation");
    else await resultOf(reviewer, "approvals.decide", { requestId: id, verdict: "reject", reason: "e2e" }, "mutation");
  }
  await user.context().close();
  await reviewer.context().close();
});

/** Asks the demo agent, as `page`'s user, to run `rm -f <file>`, and returns the approval request it waits on. */
async function requestRemoval(page: Page, file: string): Promise<string> {
  const conversation = await resultOf<{ id: string }>(page, "conversation.create", { title: file }, "mutation");
  await resultOf(page, "chat.send", { conversationId: conversation.id, text: `run rm -f ${file}` }, "mutation");
  let id = "";
  await expect
    .poll(
      async () => {
        const pending = await resultOf<{ id: string; args: { command?: string } }[]>(
          reviewer,
          "approvals.list",
          { statuses: ["PENDING"], toolName: "run_shell", limit: 200 },
          "query",
        );
        id = pending.find((item) => item.args.command === `rm -f ${file}`)?.id ?? "";
        return id;
      },
      { timeout: 30_000 },
    )
    .not.toBe("");
  made.push({ id, by: page });
  return id;
}

function row(requestId: string): Locator {
  return reviewer.locator(`[data-testid="inbox-item"][data-request-id="${requestId}"]`);
}

function checkbox(requestId: string): Locator {
  return reviewer
    .locator("li")
    .filter({ has: row(requestId) })
    .getByRole("checkbox");
}

function recorded(page: Page): Promise<RecordedNotification[]> {
  return page.evaluate(() =>
    (window as unknown as TestWindow).recordedNotifications.map(({ title, body, tag }) => ({ title, body, tag })),
  );
}

async function isFocusedWithin(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element.contains(document.activeElement));
}

/** Presses Tab (or Shift+Tab) until `target` has focus: the way a keyboard user gets there. */
async function tabTo(page: Page, target: Locator, { backwards = false, limit = 80 } = {}) {
  for (let presses = 0; presses < limit; presses++) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
  }
  throw new Error(`Tab never reached ${target}`);
}

test("a browser notification for a new request routed to the reviewer, only after opting in, and not for their own", async () => {
  await inbox.open();
  await reviewer.evaluate(() => {
    (window as unknown as TestWindow).pageHidden = true;
  });
  // Before opting in: the request shows in the list, and no notification.
  const beforeOptIn = await requestRemoval(user, "before-opt-in.tmp");
  await expect(row(beforeOptIn)).toBeVisible();

  const optIn = reviewer.getByTestId("notify-toggle");
  await expect(optIn).toHaveAttribute("aria-pressed", "false");
  await optIn.click();
  await expect(optIn).toHaveAttribute("aria-pressed", "true");

  // The reviewer's own request is routed to other reviewers: no notification for it.
  const own = await requestRemoval(reviewer, "own-request.tmp");
  await expect(row(own)).toBeVisible();

  const routed = await requestRemoval(user, "routed-to-reviewer.tmp");
  await expect.poll(() => recorded(reviewer), { timeout: 20_000 }).toHaveLength(1);
  const detail = await resultOf<{ request: { preview: { summary: string } } }>(
    reviewer,
    "approvals.get",
    { id: routed },
    "query",
  );
  const [notification] = await recorded(reviewer);
  expect(notification).toEqual({
    title: "Approval needed: run_shell",
    body: `${USERS.USER.name}: ${detail.request.preview.summary}`,
    tag: `airlock-request-${routed}`,
  });
  expect(notification?.body).toContain("rm -f routed-to-reviewer.tmp");

  // Clicking it opens that request (a new page load: the recorder starts empty again).
  await reviewer.evaluate(() => {
    const testWindow = window as unknown as TestWindow;
    testWindow.pageHidden = false;
    testWindow.recordedNotifications[0]?.onclick?.();
  });
  await expect(reviewer).toHaveURL(new RegExp(`/inbox\\?request=${routed}$`));
  await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");
  await expect(reviewer.getByTestId("request-detail").getByRole("heading", { level: 1 })).toHaveText("run_shell");
});

test("arrivals are announced politely, one sentence however many came, and only what is new", async () => {
  await inbox.open();
  const region = reviewer.getByTestId("new-request-announcement");
  await expect(region).toHaveAttribute("aria-live", "polite");
  // Every text the live region takes, in order.
  await region.evaluate((element) => {
    const testWindow = window as unknown as TestWindow;
    testWindow.announcements = [];
    new MutationObserver(() => testWindow.announcements.push(element.textContent ?? "")).observe(element, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
  const announcements = () => reviewer.evaluate(() => (window as unknown as TestWindow).announcements);

  const one = await requestRemoval(user, "announced-alone.tmp");
  await expect(row(one)).toBeVisible();
  await expect(region).toHaveText(`New request: run_shell from ${USERS.USER.name}`);

  // Two arrive while the reviewer reads History; back on Pending they are one sentence,
  // and the requests that were there before are not announced again.
  await reviewer.getByRole("tab", { name: "History" }).click();
  await expect(reviewer.getByRole("tab", { name: "History" })).toHaveAttribute("aria-selected", "true");
  const [second, third] = await Promise.all([
    requestRemoval(user, "announced-together-1.tmp"),
    requestRemoval(user, "announced-together-2.tmp"),
  ]);
  await reviewer.getByRole("tab", { name: "Pending" }).click();
  await expect(row(second)).toBeVisible();
  await expect(row(third)).toBeVisible();
  await expect(region).toHaveText("2 new requests");
  expect(await announcements()).toEqual([`New request: run_shell from ${USERS.USER.name}`, "2 new requests"]);
});

test("opening a request moves focus to it, closing returns it to the row it came from, on desktop and on a phone", async () => {
  const target = shared.focus;
  const heading = reviewer.getByTestId("request-detail").getByRole("heading", { level: 1 });
  await inbox.open();
  // Focus put on the row (how it got there is the keyboard journey's business), then keys only.
  await row(target).focus();
  await reviewer.keyboard.press("Enter");
  await expect(heading).toBeFocused();
  await expect(row(target)).toHaveAttribute("aria-current", "true");
  // Desktop: Escape goes back to the list; the request stays on screen beside it.
  await reviewer.keyboard.press("Escape");
  await expect(row(target)).toBeFocused();
  await expect(inbox.detail()).toBeVisible();

  // Phone: the open request replaces the list; Back brings the list back, focus on the row.
  await reviewer.setViewportSize(VIEWPORTS.phone);
  await expect(row(target)).toBeHidden();
  const back = reviewer.getByRole("button", { name: "Back to requests" });
  await tabTo(reviewer, back);
  await reviewer.keyboard.press("Enter");
  await expect(inbox.detail()).toBeHidden();
  await expect(row(target)).toBeFocused();
  // And Escape does the same.
  await reviewer.keyboard.press("Enter");
  await expect(heading).toBeFocused();
  await expect(row(target)).toBeHidden();
  await reviewer.keyboard.press("Escape");
  await expect(row(target)).toBeFocused();
  await reviewer.setViewportSize(VIEWPORTS.desktop);
});

test("the reject and edit forms and the batch dialog take focus and give it back", async () => {
  const target = shared.focus;
  await inbox.open();
  await row(target).focus();
  await reviewer.keyboard.press("Enter");
  await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");

  await reviewer.keyboard.press("r");
  await expect(reviewer.getByLabel(/Reason for rejecting/)).toBeFocused();
  await reviewer.keyboard.press("Escape");
  await expect(reviewer.getByRole("button", { name: /^Reject…/ })).toBeFocused();

  await reviewer.keyboard.press("e");
  await expect(reviewer.getByLabel(/Edited arguments/)).toBeFocused();
  await reviewer.keyboard.press("Escape");
  await expect(reviewer.getByRole("button", { name: /^Edit and approve…/ })).toBeFocused();

  // The batch's reject dialog: focus in, Tab stays inside, Escape out and back to its button.
  await reviewer.keyboard.press("x");
  await expect(checkbox(target)).toBeChecked();
  const rejectSelected = reviewer.getByRole("button", { name: "Reject selected" });
  await rejectSelected.focus();
  await reviewer.keyboard.press("Enter");
  const dialog = reviewer.getByRole("dialog");
  await expect(dialog.getByLabel(/Reason for rejecting/)).toBeFocused();
  for (let press = 0; press < 3; press++) {
    await reviewer.keyboard.press("Tab");
    expect(await isFocusedWithin(dialog)).toBe(true);
  }
  await reviewer.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(rejectSelected).toBeFocused();
  // Escape closed the dialog only: the request is still open and still checked.
  await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");
  await reviewer.keyboard.press("x");
  await expect(checkbox(target)).not.toBeChecked();
});

test("keyboard only, no mouse event: select several requests and approve them as a batch", async () => {
  await inbox.open();
  await expect(row(shared.batch[0])).toBeVisible();
  await reviewer.evaluate(() => {
    (window as unknown as TestWindow).mouseEvents = [];
  });
  // j moves down the list from the first row, x checks the row it is on.
  const listed = await inbox.items().evaluateAll((items) => items.map((item) => item.getAttribute("data-request-id")));
  const [first, second] = [...shared.batch].sort((a, b) => listed.indexOf(a) - listed.indexOf(b));
  if (!first || !second) throw new Error("requests missing");
  let at = 0;
  for (const id of [first, second]) {
    for (; at < listed.indexOf(id); at++) await reviewer.keyboard.press("j");
    await expect(row(id)).toHaveAttribute("aria-current", "true");
    await reviewer.keyboard.press("x");
    await expect(checkbox(id)).toBeChecked();
  }
  // A checkbox answers Space too.
  await checkbox(second).focus();
  await reviewer.keyboard.press("Space");
  await expect(checkbox(second)).not.toBeChecked();
  await reviewer.keyboard.press("Space");
  await expect(checkbox(second)).toBeChecked();
  await expect(reviewer.getByText("2 selected")).toBeVisible();
  const approveSelected = reviewer.getByRole("button", { name: "Approve selected" });
  await tabTo(reviewer, approveSelected, { backwards: true });
  await reviewer.keyboard.press("Enter");
  // The confirmation opens on Cancel; Tab reaches the approve button.
  const confirm = reviewer.getByRole("dialog", { name: "Approve 2 requests?" });
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await reviewer.keyboard.press("Tab");
  await expect(confirm.getByRole("button", { name: "Approve 2" })).toBeFocused();
  await reviewer.keyboard.press("Enter");
  await expect(reviewer.getByRole("status").filter({ hasText: "2 of 2 decided" })).toBeVisible();
  await expect(row(first)).toBeHidden();
  await expect(row(second)).toBeHidden();
  const decided = await resultOf<{ id: string; status: string }[]>(
    reviewer,
    "approvals.list",
    { statuses: ["APPROVED", "CONSUMED"], toolName: "run_shell", limit: 200 },
    "query",
  );
  expect(decided.filter((item) => item.id === first || item.id === second)).toHaveLength(2);
  expect(await reviewer.evaluate(() => (window as unknown as TestWindow).mouseEvents)).toEqual([]);
});
