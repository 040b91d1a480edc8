/**
 * A signed-in browser, as far as the load benchmarks need one, against a production
 * Airlock over HTTP: next-auth's credentials sign-in (a session cookie), tRPC mutations
 * and queries (superjson), and a run's event stream (chat.events over SSE) read frame by
 * frame, each event stamped with the wall-clock time it was read.
 */
import superjson from "superjson";

function cookiesOf(response: Response): string[] {
  return (response.headers.getSetCookie?.() ?? []).map((line) => line.split(";")[0] ?? "");
}

/** Signs in with email and password; the session cookie works on every instance that shares NEXTAUTH_SECRET. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const cookies = cookiesOf(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const answer = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }).toString(),
    redirect: "manual",
  });
  await answer.arrayBuffer();
  const session = cookiesOf(answer).filter((cookie) => cookie.includes("session-token"));
  if (session.length === 0) throw new Error(`sign-in as ${email} failed: HTTP ${answer.status}`);
  return [...cookies, ...session].join("; ");
}

async function answerOf<T>(response: Response, procedure: string): Promise<T> {
  const body = (await response.json()) as { result?: { data?: unknown }; error?: { json?: { message?: string } } };
  if (!response.ok || body.error) {
    throw new Error(`${procedure}: HTTP ${response.status} ${body.error?.json?.message ?? ""}`);
  }
  return superjson.deserialize(body.result?.data as never) as T;
}

export async function mutate<T>(baseUrl: string, cookie: string, procedure: string, input: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, origin: baseUrl },
    body: JSON.stringify(superjson.serialize(input)),
  });
  return answerOf<T>(response, procedure);
}

export async function query<T>(baseUrl: string, cookie: string, procedure: string, input: unknown): Promise<T> {
  const encoded = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
  const response = await fetch(`${baseUrl}/api/trpc/${procedure}?input=${encoded}`, { headers: { cookie } });
  return answerOf<T>(response, procedure);
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export const wallClock = () => performance.timeOrigin + performance.now();

export interface StreamedRunEvent {
  seq: number;
  data: { type: string; status?: string; text?: string; [key: string]: unknown };
  /** wallClock() when the frame was read. */
  receivedAt: number;
}

export type StreamEnd = { how: "completed" | "ended" | "error" | "cut"; status?: string; message?: string };

/**
 * Subscribes to a run's events; `onEvent` hears each one as it is read. Resolves when the
 * stream ends: after the run's terminal status (`completed`), an error frame, or a cut.
 */
export async function streamRun(options: {
  baseUrl: string;
  cookie: string;
  runId: string;
  onEvent: (event: StreamedRunEvent) => void;
  signal?: AbortSignal;
}): Promise<StreamEnd> {
  const encoded = encodeURIComponent(JSON.stringify(superjson.serialize({ runId: options.runId })));
  let response: Response;
  try {
    response = await fetch(`${options.baseUrl}/api/trpc/chat.events?input=${encoded}`, {
      headers: { cookie: options.cookie, accept: "text/event-stream" },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    return { how: "cut", message: (error as Error).message };
  }
  if (!response.headers.get("content-type")?.includes("text/event-stream")) {
    return { how: "error", message: `HTTP ${response.status} ${await response.text()}` };
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  let terminal: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return terminal ? { how: "completed", status: terminal } : { how: "cut" };
      const receivedAt = wallClock();
      text += decoder.decode(value, { stream: true });
      let end = text.indexOf("\n\n");
      while (end >= 0) {
        const frame = text.slice(0, end);
        text = text.slice(end + 2);
        end = text.indexOf("\n\n");
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        const id = /^id: (.*)$/m.exec(frame)?.[1];
        if (event === "serialized-error") return { how: "error", message: data ?? "" };
        if (event === "return") return terminal ? { how: "completed", status: terminal } : { how: "ended" };
        if (event !== undefined || data === undefined || id === undefined) continue;
        const parsed = (JSON.parse(data) as { json: StreamedRunEvent["data"] }).json;
        if (parsed.type === "run-status" && ["COMPLETED", "FAILED", "CANCELLED"].includes(String(parsed.status))) {
          terminal = String(parsed.status);
        }
        options.onEvent({ seq: Number(id), data: parsed, receivedAt });
      }
    }
  } catch (error) {
    return terminal ? { how: "completed", status: terminal } : { how: "cut", message: (error as Error).message };
  } finally {
    reader.cancel().catch(() => {});
  }
}
