import { expect, signedInPage, test } from "./fixtures";

/** Reads the run's SSE stream from the built app until the run's terminal status; returns the event ids. */
async function streamToEnd(url: string, token: string): Promise<{ ids: number[]; status: string }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const ids: number[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before the run did; ids ${ids.join(",")}`);
    buffer += decoder.decode(value, { stream: true });
    const frames = buffer.split("\n\n");
    buffer = frames.pop() ?? "";
    for (const frame of frames) {
      const id = /^id: (\d+)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (!id || !data) continue;
      ids.push(Number(id));
      const event = JSON.parse(data) as { type: string; status?: string };
      if (event.type === "run-status" && ["COMPLETED", "FAILED", "CANCELLED"].includes(event.status ?? "")) {
        await reader.cancel();
        return { ids, status: event.status ?? "" };
      }
    }
  }
}

test("a user creates an API token in the account page, runs the agent over the HTTP API, and revokes it", async ({
  browser,
  baseURL,
}) => {
  // Sign-in, the account page, a run and its stream on a loaded machine: more than the default minute.
  test.setTimeout(180_000);
  const page = await signedInPage(browser, "USER");
  await page.goto("/account/password");
  const section = page.getByRole("region", { name: "API tokens" });
  await section.getByLabel("Name").fill("e2e script");
  await section.getByLabel("Expires after").selectOption("7");
  await section.getByRole("button", { name: "Create token" }).click();
  const shown = section.getByTestId("new-api-token");
  await expect(shown).toHaveText(/^alk_[A-Za-z0-9_-]{43}$/);
  const token = (await shown.textContent()) ?? "";
  await expect(section.getByTestId("api-token-row").filter({ hasText: "e2e script" })).toContainText(
    token.slice(0, 12),
  );
  await section.getByRole("button", { name: "I have copied it" }).click();
  await expect(shown).toHaveCount(0);

  // The built app's route handlers, with the token and no cookie.
  const started = await fetch(`${baseURL}/api/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ text: "hello from a script" }),
  });
  expect(started.status).toBe(201);
  const { runId, links } = (await started.json()) as { runId: string; links: { events: string } };
  const streamed = await streamToEnd(`${baseURL}${links.events}`, token);
  expect(streamed.status).toBe("COMPLETED");
  expect(streamed.ids).toEqual(streamed.ids.map((_, index) => index + 1));
  const outcome = await fetch(`${baseURL}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${token}` } });
  expect(await outcome.json()).toMatchObject({ id: runId, status: "COMPLETED", finished: true });
  const document = await fetch(`${baseURL}/api/openapi.json`);
  expect(await document.json()).toMatchObject({ openapi: "3.1.0" });

  // The list now shows when the token was last used; revoking it stops it at once.
  await page.reload();
  const row = section.getByTestId("api-token-row").filter({ hasText: "e2e script" });
  await expect(row).not.toContainText("Never");
  await row.getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Yes, revoke it" }).click();
  await expect(row).toContainText("Revoked");
  const refused = await fetch(`${baseURL}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ error: { code: "token:revoked" } });
  await page.context().close();
});
