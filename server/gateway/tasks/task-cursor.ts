/** tasks/list cursors: opaque to the client, the last task's (createdAt, id) underneath. */
import { z } from "zod";
import type { TaskCursor } from "../../db/gateway-tasks";

const MAX_CURSOR_CHARS = 200;
const cursorSchema = z.object({ t: z.iso.datetime(), i: z.string().min(1).max(64) });

export function encodeTaskCursor(cursor: TaskCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.toISOString(), i: cursor.id })).toString("base64url");
}

/** The cursor, or null when it is not one this server handed out. */
export function decodeTaskCursor(text: string): TaskCursor | null {
  if (text.length > MAX_CURSOR_CHARS) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
    return parsed.success ? { createdAt: new Date(parsed.data.t), id: parsed.data.i } : null;
  } catch {
    return null;
  }
}
