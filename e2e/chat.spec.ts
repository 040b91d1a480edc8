import { expect, screenshot, signedInPage, test } from "./fixtures";
import { ChatPage } from "./pages/chat-page";

const STORY_END = "That is the end of the story.";

test.describe("chat with the demo model", () => {
  test("a message streams in token by token and renders as Markdown", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const chat = new ChatPage(page);
    await expect(page.getByText("Demo", { exact: true })).toBeVisible();
    const stream = page.waitForResponse((response) => response.url().includes("/api/trpc/chat.events"));
    await chat.send("What can you do?");
    await chat.waitForConversationUrl();
    // The browser asks for gzip; the live stream comes uncompressed (tRPC marks it
    // no-transform: no deflate context per open stream, nothing held back by a compressor
    // or a proxy), so each token is on the wire as soon as it is written.
    const headers = (await stream).headers();
    expect(headers["content-type"]).toContain("text/event-stream");
    expect(headers["content-encoding"]).toBeUndefined();
    expect(headers["cache-control"]).toContain("no-transform");
    const answer = chat.lastAssistant();
    // Streaming: the answer is visible while the run is still going (the Stop button shows).
    await expect(chat.stopButton()).toBeVisible();
    await expect(answer).toContainText("You said");
    await chat.waitForAnswerDone();
    await expect(answer.locator("code").first()).toBeVisible();
    await expect(answer.locator("li").first()).toBeVisible();
    await expect(page.getByTestId("conversation-title")).toHaveText("What can you do?");
    await screenshot(page, "chat");
    await page.context().close();
  });

  test("reloading mid-stream resumes where it was, and a second tab shows the same stream", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const chat = new ChatPage(page);
    await chat.send("Tell me a long story");
    const url = await chat.waitForConversationUrl();
    await expect.poll(() => chat.lastAssistant().locator("li").count()).toBeGreaterThanOrEqual(2);
    expect(await chat.lastAssistant().textContent()).not.toContain(STORY_END);
    const second = await page.context().newPage();
    await second.goto(url);
    await page.reload();
    await expect(chat.lastAssistant()).toContainText(STORY_END, { timeout: 30_000 });
    await expect(second.getByTestId("assistant-message").last()).toContainText(STORY_END, { timeout: 30_000 });
    // Nothing repeated and nothing lost across the reload.
    await expect(chat.lastAssistant().locator("li")).toHaveCount(12);
    await expect(chat.lastAssistant().getByText("Here is a long answer")).toHaveCount(1);
    await expect(second.getByTestId("assistant-message").last().locator("li")).toHaveCount(12);
    await page.context().close();
  });

  test("the stop button cancels the stream and keeps what was produced", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const chat = new ChatPage(page);
    await chat.send("Tell me a long story");
    await chat.waitForConversationUrl();
    await expect(chat.lastAssistant().locator("li").first()).toContainText("The airlock cycled");
    await chat.stopButton().click();
    await expect(chat.lastAssistant().getByText("Stopped.")).toBeVisible();
    const keptItems = await chat.lastAssistant().locator("li").count();
    expect(keptItems).toBeGreaterThan(0);
    expect(keptItems).toBeLessThan(12);
    await page.reload();
    await expect(chat.lastAssistant().locator("li")).toHaveCount(keptItems);
    await expect(chat.lastAssistant()).not.toContainText(STORY_END);
    await expect(chat.lastAssistant().getByText("Stopped.")).toBeVisible();
    await page.context().close();
  });

  test("two tool calls of one step run in parallel and both show their results", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const chat = new ChatPage(page);
    await chat.send("list the files and show me README.md");
    await chat.waitForConversationUrl();
    await chat.waitForAnswerDone();
    const cards = chat.lastAssistant().getByTestId("tool-call");
    await expect(cards).toHaveCount(2);
    await expect(cards.filter({ hasText: "list_files" })).toHaveAttribute("data-status", "SUCCEEDED");
    await expect(cards.filter({ hasText: "read_file" })).toHaveAttribute("data-status", "SUCCEEDED");
    await expect(chat.lastAssistant()).toContainText("Invoice Reminder Service");
    await screenshot(page, "chat-parallel-tools");
    await page.context().close();
  });

  test("HTML and scripts in messages are shown as text, never run", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const chat = new ChatPage(page);
    const payload = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
    await chat.send(payload);
    await chat.waitForConversationUrl();
    await chat.waitForAnswerDone();
    await expect(page.getByTestId("user-message").last()).toHaveText(payload);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("main img").count()).toBe(0);
    await page.context().close();
  });

  test("empty and oversized messages are refused in place; 100 KB is accepted", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const chat = new ChatPage(page);
    await chat.ready();
    await chat.composer().fill("   ");
    await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
    await chat.composer().fill("x".repeat(100_001));
    await expect(page.locator("form").getByRole("alert")).toContainText("limited to 100,000 characters");
    await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
    const big = `${"lorem ipsum ".repeat(8_333)}end`.slice(0, 100_000);
    await chat.composer().fill(big);
    await page.getByRole("button", { name: "Send" }).click();
    await chat.waitForConversationUrl();
    await chat.waitForAnswerDone();
    await expect(chat.lastAssistant()).toContainText("You said");
    await page.context().close();
  });

  test("conversations can be renamed and deleted by their owner", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const chat = new ChatPage(page);
    await chat.send("hello there");
    await chat.waitForConversationUrl();
    await chat.waitForAnswerDone();
    const sidebar = page.getByRole("complementary", { name: "Conversations" });
    await sidebar.getByRole("link", { name: "hello there" }).hover();
    await sidebar.getByRole("button", { name: "Rename hello there" }).click();
    await sidebar.getByLabel("Conversation title").fill("Greetings");
    await sidebar.getByLabel("Conversation title").press("Enter");
    await expect(sidebar.getByRole("link", { name: "Greetings" })).toBeVisible();
    page.once("dialog", (dialog) => dialog.accept());
    await sidebar.getByRole("link", { name: "Greetings" }).hover();
    await sidebar.getByRole("button", { name: "Delete Greetings" }).click();
    await expect(sidebar.getByRole("link", { name: "Greetings" })).toHaveCount(0);
    await expect(page).toHaveURL(/\/chat$/);
    await page.context().close();
  });
});
