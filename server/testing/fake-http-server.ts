/**
 * The HTTP plumbing the fake model servers share: a server on a free local port whose
 * stop() also drops open connections, request bodies, and streaming a response frame by
 * frame the way a provider does (a delay between frames, a connection cut on cue).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { abortableSleep } from "../shared/abortable-sleep";

export interface LocalServer {
  port: number;
  stop(): Promise<void>;
}

export async function startLocalServer(
  respond: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<LocalServer> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    respond(request, response).catch(() => response.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of request) pieces.push(piece as Buffer);
  return Buffer.concat(pieces).toString("utf8");
}

function write(response: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => response.write(data, () => resolve()));
}

/**
 * Writes the frames one by one, `delayMs` apart, and destroys the connection instead of
 * writing frame `cutAfter`. True when every frame went out, so the caller ends the response.
 */
export async function writeFrames(
  response: ServerResponse,
  frames: string[],
  options: { cutAfter?: number; delayMs?: number },
): Promise<boolean> {
  for (const [index, frame] of frames.entries()) {
    if (index === options.cutAfter) {
      response.socket?.destroy();
      return false;
    }
    if (index > 0 && options.delayMs) await abortableSleep(options.delayMs);
    // The client went away (an abort or idle timeout): stop writing to a dead socket.
    if (response.destroyed || response.socket?.destroyed) return false;
    // Waiting for the write to flush means a later cut really happens after this frame.
    await write(response, frame);
  }
  return true;
}
