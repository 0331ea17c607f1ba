import { randomBytes } from "node:crypto";
import { afterEach, vi } from "vitest";
import { cliSchedulerDeps } from "../../src/cli/actions/replay-run.js";
import { retryNow } from "../../src/delivery/retry-now.js";
import { Transport } from "../../src/delivery/transport.js";
import { type Db, openDb } from "../../src/store/open.js";
import { App } from "../../src/tui/App.js";
import { createInspectStore, type InspectStore } from "../../src/tui/inspect-store.js";
import { tempDb } from "../helpers/tmp.js";
import { mount } from "./harness.js";
import { seedDead, seedNow } from "./seed.js";

/** The inspect app over a real temp log, wired as `hookctl inspect` wires it; torn down after each test. */

export const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export interface StartOptions {
  dead?: number;
  rows?: number;
  status?: "dead" | "pending" | "all";
  filter?: string;
  seed?: (db: Db) => void;
}

/** The app over a real temp log with `dead` dead letters (order.created.0 oldest … newest). */
export async function start(options: StartOptions = {}) {
  const path = tempDb();
  const db = openDb(path);
  const ids = seedDead(db, options.dead ?? 30);
  options.seed?.(db);
  const onQuit = vi.fn();
  // The wiring `hookctl inspect` uses: replay's scheduler deps and transport, over real HTTP.
  const transport = new Transport();
  const deps = cliSchedulerDeps(db, { now: () => seedNow, randomBytes }, transport);
  const store = createInspectStore(db, () => seedNow, { retry: (id) => retryNow({ ...deps, db }, id) });
  const app = mount(
    <App
      store={store}
      now={() => seedNow}
      rows={options.rows ?? 20}
      color={false}
      pollMs={25}
      initialStatus={options.status}
      initialFilter={options.filter}
      onQuit={onQuit}
    />,
  );
  cleanups.push(async () => {
    app.unmount();
    await store.settled();
    await transport.close();
    db.close();
  });
  await app.waitForFrame((frame) => frame.includes("q quit") || frame.includes("too small"));
  return { path, db, ids, app, onQuit, store };
}

/** The app over `store` (100×16, no colour, the seed's clock), unmounted after the test. */
export function mountStore(store: InspectStore, options: { pollMs: number; status?: "dead" | "all" }) {
  const app = mount(
    <App
      store={store}
      now={() => seedNow}
      rows={16}
      columns={100}
      color={false}
      pollMs={options.pollMs}
      initialStatus={options.status}
      onQuit={() => {}}
    />,
  );
  cleanups.push(async () => {
    app.unmount();
    await store.settled();
  });
  return app;
}

/** The line the cursor is on. */
export function selected(frame: string): string {
  return frame.split("\n").find((line) => line.startsWith("›")) ?? "";
}
