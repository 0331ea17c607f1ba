import { describe, expect, it } from "vitest";
import { settleTakenElsewhere } from "../../src/cli/actions/send-elsewhere.js";
import { createOutput } from "../../src/cli/output.js";
import { createReplayRenderer } from "../../src/cli/render/replay-progress.js";
import { summaryLines } from "../../src/cli/render/send-summary.js";
import { initialOutcome } from "../../src/delivery/send-outcome.js";
import { getEvent } from "../../src/store/events.js";
import { openDb } from "../../src/store/open.js";
import { testContext } from "../helpers/context.js";
import { finishDelivery, seedDeliveries } from "../helpers/scheduler-kit.js";
import { tempDb } from "../helpers/tmp.js";

describe("processes sharing a log", () => {
  it("a plain replay waiting on another process's leases does not claim to be watching", async () => {
    const { ctx, stderr } = testContext();
    const out = createOutput(ctx, {});
    const renderer = createReplayRenderer(out, { now: () => 0, live: false, describe: () => undefined });
    renderer.onEvent({ type: "started", at: 0, pending: 0, reclaimed: 0, watch: false });
    renderer.onEvent({ type: "idle", at: 0, until: null, next: null, pending: 0 });
    renderer.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stderr()).toContain("waiting for deliveries another hookctl process has in flight");
    expect(stderr()).not.toContain("watching");

    const watching = testContext();
    const watchRenderer = createReplayRenderer(createOutput(watching.ctx, {}), {
      now: () => 0,
      live: false,
      describe: () => undefined,
    });
    watchRenderer.onEvent({ type: "started", at: 0, pending: 0, reclaimed: 0, watch: true });
    watchRenderer.onEvent({ type: "idle", at: 0, until: null, next: null, pending: 0 });
    watchRenderer.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(watching.stderr()).toContain("watching for new deliveries");
  });

  it("send counts a delivery another process delivered as delivered, not failed", () => {
    const db = openDb(tempDb());
    const now = Date.now();
    const [delivered, held] = seedDeliveries(db, { url: "http://127.0.0.1:9/", now, count: 2 });
    finishDelivery(db, delivered as string, "succeeded", now);
    const event = getEvent(db, db.prepare("SELECT event_id FROM deliveries LIMIT 1").pluck().get() as string);
    if (!event) throw new Error("no event");
    const outcomes = [delivered, held].map((id) => {
      const outcome = initialOutcome(id as string, event, { url: "http://127.0.0.1:9/", endpointName: null });
      outcome.skipped = 1;
      return outcome;
    });
    settleTakenElsewhere(db, outcomes);
    db.close();
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["succeeded", "pending"]);
    const [summary] = summaryLines(
      {
        outcomes,
        attempts: 0,
        latency: undefined,
        histogram: {},
        elapsedMs: 10,
        interrupted: false,
        notStarted: 0,
      },
      createOutput(testContext().ctx, {}).style,
      now,
    );
    expect(summary).toContain("1 delivered by another hookctl process");
    expect(summary).toContain("1 still held by another hookctl process");
  });
});
