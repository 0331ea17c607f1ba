import { describe, expect, it } from "vitest";
import { holdSource, sourceHoldMs } from "../../src/cli/actions/listen-hold.js";
import { UsageError } from "../../src/errors.js";
import { openLog } from "../../src/store/log-handle.js";
import { type ReceivedStore, receivedStoreOf } from "../../src/store/ports/received.js";
import { postgresForFile } from "../helpers/pg.js";
import { tempDb } from "../helpers/tmp.js";

const pg = postgresForFile();
const source = "https://relay.example/c/laptop";
const t0 = Date.UTC(2026, 0, 1);

async function storeOn(target: string): Promise<ReceivedStore> {
  const log = await openLog(target);
  pg.defer(() => log.close());
  return receivedStoreOf(log);
}

/** A listener's hold on one host, with its own clock, renewal ticks and record of losses. */
function listener(
  store: ReceivedStore,
  holder: string,
  options: { host?: string; pid?: number; alive?: number[] } = {},
) {
  let now = t0;
  const ticks: (() => void)[] = [];
  let lost = 0;
  const take = () =>
    holdSource(store, source, {
      now: () => now,
      holder,
      host: options.host ?? "laptop",
      pid: options.pid ?? 100,
      isAlive: (pid) => (options.alive ?? []).includes(pid),
      onLost: () => lost++,
      every: (_ms, tick) => {
        ticks.push(tick);
        return () => ticks.splice(ticks.indexOf(tick), 1);
      },
    });
  return {
    take,
    at: (ms: number) => {
      now = ms;
    },
    tick: () => {
      for (const tick of ticks) tick();
    },
    lost: () => lost,
  };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "taken",
    (error: unknown) => (error instanceof UsageError ? `${error.message} — ${error.hint}` : String(error)),
  );

describe("listen --from holds its relay source in the log: one listener per channel and log", () => {
  for (const backend of ["sqlite", "postgres"] as const) {
    it(`refuses a second listener while the first runs, takes over from a dead one, lets go on release (${backend})`, async () => {
      const store = await storeOn(backend === "sqlite" ? tempDb() : await pg.database());
      const first = listener(store, "first", { pid: 100 });
      const hold = await first.take();
      // Same host, the first's pid alive: refused, naming it.
      const second = listener(store, "second", { pid: 200, alive: [100] });
      expect(await refusal(second.take())).toBe(
        `another hookctl listen --from (pid 100) is reading ${source} into this log — stop it first: two would capture and forward every request twice`,
      );
      // Another host, the hold not lapsed: refused, saying when it lapses.
      const remote = listener(store, "remote", { host: "ci-box", pid: 300 });
      remote.at(t0 + 10_000);
      expect(await refusal(remote.take())).toMatch(/\(pid 100 on laptop\) is reading .* lapses in 20 s$/);
      // The first's process is gone from this host (kill -9): taken over at once.
      const third = listener(store, "third", { pid: 300, alive: [] });
      await third.take();
      expect(await store.readRelayListener(source)).toEqual({
        holder: "third",
        host: "laptop",
        pid: 300,
        heldUntil: t0 + sourceHoldMs,
      });
      // The first, back from a stall, finds it gone at its next renewal.
      first.tick();
      await expect.poll(() => first.lost()).toBe(1);
      // The first's release does not free what the third holds; the third's does.
      await hold.release();
      expect((await store.readRelayListener(source))?.holder).toBe("third");
      third.tick();
      expect(third.lost()).toBe(0);
      const thirdHold = await third.take().catch(() => undefined);
      expect(thirdHold).toBeDefined();
      await thirdHold?.release();
      expect(await store.readRelayListener(source)).toBeUndefined();
    });
  }

  it("a hold on another host that lapsed (its listener died there) is taken over", async () => {
    const store = await storeOn(tempDb());
    await listener(store, "remote", { host: "ci-box", pid: 100 }).take();
    const local = listener(store, "local", { pid: 100, alive: [100] });
    local.at(t0 + sourceHoldMs);
    await local.take();
    expect((await store.readRelayListener(source))?.holder).toBe("local");
  });
});
