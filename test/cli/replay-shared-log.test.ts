import { describe, expect, it } from "vitest";
import { createOutput } from "../../src/cli/output.js";
import { createReplayRenderer } from "../../src/cli/render/replay-progress.js";
import { summaryLines } from "../../src/cli/render/send-summary.js";
import { testContext } from "../helpers/context.js";

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

  it("an interrupted send says how many sends never started and how many events were never persisted", () => {
    const lines = summaryLines(
      {
        tally: { succeeded: 3, pending: 1, dead: 0, elsewhere: 0 },
        nextRetryAt: null,
        attempts: 4,
        latency: undefined,
        histogram: { 200: 3, 503: 1 },
        elapsedMs: 10,
        interrupted: true,
        persisted: 6,
        notPersisted: 94,
        notStarted: 2,
        tlsFailure: null,
        pendingIds: [],
      },
      createOutput(testContext().ctx, {}).style,
      Date.now(),
    );
    expect(lines[0]).toContain("3 succeeded, 1 pending");
    expect(lines.join("\n")).toContain(
      "interrupted: 2 sends not started (their deliveries stay pending); 94 events never persisted",
    );
  });
});
