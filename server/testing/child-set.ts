/**
 * The child processes a test starts (crash workers, instances): tracked while they live,
 * so `killAll` (for afterAll) can end what is left, and killed with SIGKILL if the test
 * process exits without it.
 */
import type { ChildProcess } from "node:child_process";

export interface ChildSet {
  add(child: ChildProcess): void;
  delete(child: ChildProcess): void;
  /** Kills every child still alive and waits for each to exit. */
  killAll(): Promise<void>;
}

export function childSet(): ChildSet {
  const live = new Set<ChildProcess>();
  let exitHookInstalled = false;
  return {
    add(child) {
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        // Last resort when a test process ends without its afterAll: exit handlers are
        // synchronous, and kill() is.
        process.once("exit", () => {
          for (const alive of live) alive.kill("SIGKILL");
        });
      }
      live.add(child);
    },
    delete(child) {
      live.delete(child);
    },
    async killAll() {
      await Promise.all(
        [...live].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGKILL");
            }),
        ),
      );
    },
  };
}
