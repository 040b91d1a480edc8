/**
 * serialReload (notifications.ts) under every interleaving the NOTIFY-driven reloads of
 * model configuration, MCP servers and the policy cache meet: a change during a load,
 * many changes during one load, loads and installs that fail, callers at the same time,
 * readers that only need a copy, and a random schedule that checks no stale read is ever
 * installed over a newer one.
 */
import { describe, expect, it } from "vitest";
import { serialReload } from "./notifications";

/** A load the test finishes by hand, so an interleaving is written out, not timed. */
function controlledLoads<T>() {
  const pending: { resolve: (value: T) => void; reject: (error: Error) => void }[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const load = () =>
    new Promise<T>((resolve, reject) => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      const done = () => running--;
      pending.push({
        resolve: (value) => {
          done();
          resolve(value);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
    });
  return {
    load,
    /** Lets the promise machinery run until nothing more moves on its own. */
    settle: () => new Promise<void>((resolve) => setImmediate(resolve)),
    started: () => pending.length,
    finish: (index: number, value: T) => pending[index]?.resolve(value),
    fail: (index: number, error: Error) => pending[index]?.reject(error),
    mostAtOnce: () => mostAtOnce,
  };
}

/** Whether a promise has settled yet, without waiting for it. */
function track(promise: Promise<void>) {
  const state = { settled: false, error: undefined as unknown };
  promise.then(
    () => {
      state.settled = true;
    },
    (error) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe("serialReload", () => {
  it("loads and installs once for one call, and resolves after the install", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const call = track(reload());
    await loads.settle();
    expect(loads.started()).toBe(1);
    expect(call.settled).toBe(false);
    loads.finish(0, "v1");
    await loads.settle();
    expect(installed).toEqual(["v1"]);
    expect(call).toEqual({ settled: true, error: undefined });
  });

  it("a change during a load: the load that read before it is never installed, exactly one more runs", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const first = track(reload());
    await loads.settle();
    const second = track(reload());
    await loads.settle();
    expect(loads.started()).toBe(1); // not two at once
    loads.finish(0, "read before the change");
    await loads.settle();
    expect(installed).toEqual([]);
    expect(first.settled).toBe(false); // its caller needs rows read after its call: the next load's
    expect(loads.started()).toBe(2);
    loads.finish(1, "read after the change");
    await loads.settle();
    expect(installed).toEqual(["read after the change"]);
    expect(first).toEqual({ settled: true, error: undefined });
    expect(second).toEqual({ settled: true, error: undefined });
    expect(loads.started()).toBe(2);
    expect(loads.mostAtOnce()).toBe(1);
  });

  it("many changes during one load cause exactly one more load, which every caller waits for", async () => {
    const loads = controlledLoads<number>();
    const installed: number[] = [];
    const { reload } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const calls = [track(reload())];
    await loads.settle();
    for (let change = 0; change < 50; change++) calls.push(track(reload()));
    await loads.settle();
    loads.finish(0, 1);
    await loads.settle();
    expect(loads.started()).toBe(2);
    expect(calls.some((call) => call.settled)).toBe(false);
    loads.finish(1, 2);
    await loads.settle();
    expect(installed).toEqual([2]);
    expect(calls.every((call) => call.settled && call.error === undefined)).toBe(true);
    expect(loads.started()).toBe(2);
  });

  it("callers at the same moment: the first starts a load, the others share one more", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const calls = [reload(), reload(), reload()];
    // The first starts the load synchronously; the two after it ask for one more.
    loads.finish(0, "a");
    await loads.settle();
    loads.finish(1, "b");
    await Promise.all(calls);
    expect(installed).toEqual(["b"]);
    expect(loads.started()).toBe(2);
  });

  it("a failing load rejects its callers, installs nothing, and the next call loads again", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const failing = reload();
    loads.fail(0, new Error("connection refused"));
    await expect(failing).rejects.toThrow("connection refused");
    expect(installed).toEqual([]);
    const retry = reload();
    await loads.settle();
    expect(loads.started()).toBe(2);
    loads.finish(1, "v1");
    await retry;
    expect(installed).toEqual(["v1"]);
  });

  it("a load that fails after a change is not the answer: the next load's is, success or failure", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const first = track(reload());
    const second = track(reload());
    loads.fail(0, new Error("stale and failed"));
    await loads.settle();
    expect(first.settled).toBe(false);
    loads.finish(1, "v2");
    await loads.settle();
    expect(first).toEqual({ settled: true, error: undefined });
    expect(second).toEqual({ settled: true, error: undefined });
    expect(installed).toEqual(["v2"]);

    const third = track(reload());
    const fourth = track(reload());
    loads.finish(2, "stale");
    await loads.settle();
    loads.fail(3, new Error("database gone"));
    await loads.settle();
    expect((third.error as Error).message).toBe("database gone");
    expect((fourth.error as Error).message).toBe("database gone");
    expect(installed).toEqual(["v2"]);
  });

  it("an install that throws rejects its callers and leaves the reloader usable", async () => {
    const loads = controlledLoads<string>();
    const { reload } = serialReload(loads.load, (value) => {
      if (value === "bad") throw new Error("cannot install");
    });
    const bad = reload();
    loads.finish(0, "bad");
    await expect(bad).rejects.toThrow("cannot install");
    const good = reload();
    loads.finish(1, "good");
    await expect(good).resolves.toBeUndefined();
  });

  it("a slow install is part of the pass: a change during it loads once more, after it", async () => {
    const loads = controlledLoads<string>();
    const installs: string[] = [];
    let finishInstall = () => {};
    const { reload } = serialReload(loads.load, async (value) => {
      installs.push(`start ${value}`);
      await new Promise<void>((resolve) => {
        finishInstall = resolve;
      });
      installs.push(`end ${value}`);
    });
    const first = track(reload());
    loads.finish(0, "v1");
    await loads.settle();
    expect(installs).toEqual(["start v1"]);
    const second = track(reload());
    await loads.settle();
    expect(loads.started()).toBe(1); // no load beside an install
    finishInstall();
    await loads.settle();
    expect(first.settled).toBe(true);
    expect(second.settled).toBe(false);
    expect(loads.started()).toBe(2);
    loads.finish(1, "v2");
    await loads.settle();
    finishInstall();
    await loads.settle();
    expect(installs).toEqual(["start v1", "end v1", "start v2", "end v2"]);
    expect(second.settled).toBe(true);
  });

  it("a call made as an earlier one resolves starts a new load (the reloader is never left busy)", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    let chained: Promise<void> | undefined;
    const first = reload().then(() => {
      chained = reload();
    });
    loads.finish(0, "v1");
    await first;
    await loads.settle();
    expect(loads.started()).toBe(2);
    loads.finish(1, "v2");
    await chained;
    expect(installed).toEqual(["v1", "v2"]);
  });

  it("ready() joins the load under way without discarding it, and starts one when none runs", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload, ready } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const change = track(reload());
    const readers = [track(ready()), track(ready())];
    await loads.settle();
    loads.finish(0, "v1");
    await loads.settle();
    expect(installed).toEqual(["v1"]);
    expect(loads.started()).toBe(1);
    expect([change, ...readers].every((call) => call.settled && call.error === undefined)).toBe(true);

    const idle = track(ready());
    await loads.settle();
    expect(loads.started()).toBe(2);
    loads.finish(1, "v2");
    await loads.settle();
    expect(idle.settled).toBe(true);
    expect(installed).toEqual(["v1", "v2"]);
  });

  it("a reader during a load that a change then discards gets the next load's rows", async () => {
    const loads = controlledLoads<string>();
    const installed: string[] = [];
    const { reload, ready } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    void reload();
    const reader = track(ready());
    void reload(); // the change
    loads.finish(0, "stale");
    await loads.settle();
    expect(reader.settled).toBe(false);
    loads.finish(1, "fresh");
    await loads.settle();
    expect(reader.settled).toBe(true);
    expect(installed).toEqual(["fresh"]);
  });

  it("readers arriving during every load never keep it from installing (no starvation)", async () => {
    const loads = controlledLoads<number>();
    const installed: number[] = [];
    const { reload, ready } = serialReload(loads.load, (value) => {
      installed.push(value);
    });
    const calls = [track(reload())];
    for (let pass = 0; pass < 10; pass++) {
      await loads.settle();
      for (let reader = 0; reader < 5; reader++) calls.push(track(ready()));
      loads.finish(pass, pass);
      await loads.settle();
      expect(installed).toContain(pass);
    }
    expect(calls.every((call) => call.settled && call.error === undefined)).toBe(true);
  });

  it("random schedules of changes and slow reads: the copy only moves forward and ends on the newest rows", async () => {
    // A seeded generator: a failure names a schedule that can be run again.
    for (let seed = 1; seed <= 40; seed++) {
      let state = seed;
      const random = () => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return state / 2 ** 31;
      };
      const ticks = () => new Promise<void>((resolve) => setImmediate(resolve));
      let databaseVersion = 0;
      let installedVersion = 0;
      let running = 0;
      // Recorded, not thrown: a throw inside load or install would only count as a failed reload.
      const violations: string[] = [];
      const { reload } = serialReload(
        async () => {
          running++;
          if (running > 1) violations.push(`${running} loads at once`);
          for (let wait = Math.floor(random() * 3); wait > 0; wait--) await ticks();
          const read = databaseVersion; // the rows as this load sees them
          for (let wait = Math.floor(random() * 3); wait > 0; wait--) await ticks();
          running--;
          if (random() < 0.1) throw new Error("lost the connection");
          return read;
        },
        (version) => {
          if (version < installedVersion) violations.push(`installed ${version} over ${installedVersion}`);
          installedVersion = version;
        },
      );
      const calls: Promise<void>[] = [];
      for (let change = 0; change < 30; change++) {
        databaseVersion++; // a change commits; its NOTIFY asks for a reload
        const changedTo = databaseVersion;
        calls.push(
          reload().then(
            () => {
              if (installedVersion < changedTo) violations.push(`resolved on ${installedVersion} < ${changedTo}`);
            },
            () => {},
          ),
        );
        for (let wait = Math.floor(random() * 4); wait > 0; wait--) await ticks();
      }
      await Promise.all(calls);
      // The last load may have failed; the next change (or check) retries and heals it.
      const succeeded = () =>
        reload().then(
          () => true,
          () => false,
        );
      for (let attempt = 0; attempt < 20; attempt++) if (await succeeded()) break;
      expect(violations, `seed ${seed}`).toEqual([]);
      expect(installedVersion, `seed ${seed}`).toBe(databaseVersion);
    }
  });
});
