/**
 * Waits that fail by name instead of hanging: where a hang is the bug a test looks for,
 * or where a teardown step that never returns would otherwise show only as a hook
 * timeout that does not say which step it was.
 */

/** The work's result, or a rejection naming what was awaited once `ms` have passed. */
export function within<T>(work: Promise<T>, what: string, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/**
 * Runs teardown steps in order, each allowed `msEach`. A step that is still waiting does
 * not stop the ones after it (the server is still stopped, the children still killed);
 * the steps that failed or hung are reported together at the end.
 */
export async function tearDownInOrder(
  steps: [name: string, step: () => Promise<unknown> | undefined][],
  msEach: number,
): Promise<void> {
  const failures: string[] = [];
  for (const [name, step] of steps) {
    try {
      await within(Promise.resolve(step()), name, msEach);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : `${name}: ${String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`teardown: ${failures.join("; ")}`);
}
