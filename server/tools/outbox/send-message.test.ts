import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../testing/database";
import { classify, execute, preview, testToolContext } from "../testing/tool-harness";
import { createSendMessageTool } from "./send-message";
import { createSmtpTransport, createWebhookTransport, type OutboxTransport } from "./transports";

let database: TestDatabase;
let webhook: Server;
let webhookUrl: string;
const webhookRequests: { headers: Record<string, unknown>; body: unknown }[] = [];
let webhookStatus = 200;
let smtp: TcpServer;
let smtpUrl: string;
const smtpMessages: string[] = [];

/** Just enough of an SMTP server to receive one message per connection. */
function startFakeSmtp(): Promise<TcpServer> {
  const server = createTcpServer((socket) => {
    let buffer = "";
    let inData = false;
    socket.write("220 fake.smtp ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end === -1) return;
          smtpMessages.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          inData = false;
          socket.write("250 OK queued\r\n");
          continue;
        }
        const newline = buffer.indexOf("\r\n");
        if (newline === -1) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") socket.write("250-fake.smtp\r\n250 AUTH PLAIN LOGIN\r\n");
        else if (verb === "HELO") socket.write("250 fake.smtp\r\n");
        else if (verb === "AUTH") socket.write("235 Authentication succeeded\r\n");
        else if (verb === "DATA") {
          inData = true;
          socket.write("354 End data with <CR><LF>.<CR><LF>\r\n");
        } else if (verb === "QUIT") {
          socket.end("221 Bye\r\n");
        } else socket.write("250 OK\r\n");
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  database = await createTestDatabase();
  webhook = createHttpServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      webhookRequests.push({ headers: request.headers, body: JSON.parse(body) });
      response.writeHead(webhookStatus).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", () => resolve()));
  const address = webhook.address();
  webhookUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hooks/outbox`;
  smtp = await startFakeSmtp();
  const smtpAddress = smtp.address();
  smtpUrl = `smtp://mailer:hunter2-password@127.0.0.1:${typeof smtpAddress === "object" && smtpAddress ? smtpAddress.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => webhook?.close(resolve));
  await new Promise((resolve) => smtp?.close(resolve));
  await database?.drop();
});

const message = { to: "finance@acme.example", subject: "The report", body: "Hello,\n\nplease find the report below." };

describe("send_message", () => {
  it("is DESTRUCTIVE and previews the rendered message and its route, without credentials", async () => {
    const tool = createSendMessageTool({
      from: "airlock@acme.example",
      transports: [
        createSmtpTransport({ url: smtpUrl, from: "airlock@acme.example" }),
        createWebhookTransport({ url: webhookUrl }),
      ],
    });
    expect(await classify(tool, message)).toBe("DESTRUCTIVE");
    const shown = await preview(tool, message);
    expect(shown.summary).toBe('Send "The report" to finance@acme.example');
    expect(shown.detail).toContain(
      "From: airlock@acme.example\nTo: finance@acme.example\nSubject: The report\n\nHello,",
    );
    expect(shown.detail).toContain("delivered via: outbox table; SMTP smtp://127.0.0.1:");
    expect(shown.detail).toContain("webhook http://127.0.0.1:");
    expect(shown.detail).not.toContain("hunter2");
  });

  it("refuses header injection and more than one recipient as argument errors", () => {
    const tool = createSendMessageTool({ from: "a@b.example", transports: [] });
    expect(tool.input.safeParse({ ...message, subject: "Hi\r\nBcc: everyone@example.com" }).success).toBe(false);
    expect(tool.input.safeParse({ ...message, to: "a@b.example\nBcc: c@d.example" }).success).toBe(false);
    expect(tool.input.safeParse({ ...message, to: "a@b.example, c@d.example" }).success).toBe(false);
  });

  it("stores the message in the outbox when nothing else is configured, once per key", async () => {
    const tool = createSendMessageTool({ from: "a@b.example", transports: [] });
    const context = testToolContext();
    const first = await execute(tool, message, context);
    expect(first).toMatchObject({ status: "DELIVERED", deliveredVia: ["outbox"], replayed: false });
    const second = await execute(tool, message, context);
    expect(second).toEqual({ ...first, replayed: true });
    const rows = await database.query(
      `SELECT "to", subject, body, status, "runId" FROM "OutboxMessage" WHERE "idempotencyKey" = $1`,
      [context.idempotencyKey],
    );
    expect(rows).toEqual([{ ...message, status: "DELIVERED", runId: "run-test" }]);
  });

  it("delivers through SMTP and the webhook exactly once, even when executed twice", async () => {
    const tool = createSendMessageTool({
      from: "airlock@acme.example",
      transports: [
        createSmtpTransport({ url: smtpUrl, from: "airlock@acme.example" }),
        createWebhookTransport({ url: webhookUrl }),
      ],
    });
    const context = testToolContext();
    const before = { smtp: smtpMessages.length, webhook: webhookRequests.length };
    const result = await execute(tool, message, context);
    expect(result.deliveredVia).toEqual(["outbox", "smtp", "webhook"]);
    await execute(tool, message, context);
    expect(smtpMessages.length - before.smtp).toBe(1);
    expect(webhookRequests.length - before.webhook).toBe(1);
    expect(smtpMessages.at(-1)).toContain("Subject: The report");
    expect(smtpMessages.at(-1)).toContain(`Message-ID: <${context.idempotencyKey}@airlock>`);
    expect(webhookRequests.at(-1)).toMatchObject({
      headers: { "idempotency-key": context.idempotencyKey },
      body: { ...message, idempotencyKey: context.idempotencyKey },
    });
  });

  it("records a failed delivery and never retries it blindly", async () => {
    webhookStatus = 503;
    const tool = createSendMessageTool({
      from: "a@b.example",
      transports: [createWebhookTransport({ url: webhookUrl })],
    });
    const context = testToolContext();
    await expect(execute(tool, message, context)).rejects.toThrow(
      /Delivery via webhook failed: the webhook answered 503/,
    );
    webhookStatus = 200;
    const count = webhookRequests.length;
    await expect(execute(tool, message, context)).rejects.toThrow(/webhook answered 503/);
    expect(webhookRequests.length).toBe(count);
    const [row] = await database.query(`SELECT status FROM "OutboxMessage" WHERE "idempotencyKey" = $1`, [
      context.idempotencyKey,
    ]);
    expect(row).toEqual({ status: "FAILED" });
  });

  it("reports an interrupted delivery as unknown instead of sending again", async () => {
    let sends = 0;
    let sending!: () => void;
    const started = new Promise<void>((resolve) => {
      sending = resolve;
    });
    const hanging: OutboxTransport = {
      name: "webhook",
      description: "a webhook that never answers",
      send: (_message, { signal }) =>
        new Promise((_, reject) => {
          sends++;
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          sending();
        }),
    };
    const tool = createSendMessageTool({ from: "a@b.example", transports: [hanging] });
    const controller = new AbortController();
    const context = testToolContext({ signal: controller.signal });
    const running = execute(tool, message, context);
    // Cut it off once the delivery is under way (a fixed delay could land before the send).
    await started;
    controller.abort(new Error("worker stopped"));
    await expect(running).rejects.toThrow(/worker stopped/);
    const retry = await execute(tool, message, { ...context, signal: new AbortController().signal }).catch(
      (error: Error) => error,
    );
    expect(String(retry)).toMatch(/outcome is unknown; it is not sent again/);
    expect(sends).toBe(1);
  });
});
