// Next.js calls register() once per server process: start this instance's run worker.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startAppWorker } = await import("./server/agent/app-worker");
  await startAppWorker();
}
