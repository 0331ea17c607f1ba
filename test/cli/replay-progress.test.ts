import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { OutStream } from "../../src/cli/context.js";
import { createOutput } from "../../src/cli/output.js";
import {
  attemptLine,
  createReplayRenderer,
  replayEventJson,
  statusLine,
} from "../../src/cli/render/replay-progress.js";
import type { SchedulerEvent } from "../../src/delivery/scheduler.js";
import { testContext } from "../helpers/context.js";

const at = Date.UTC(2026, 0, 1, 12, 0, 0);
const finished = (extra: Partial<Extract<SchedulerEvent, { type: "attempt-finished" }>>) =>
  ({
    type: "attempt-finished",
    at,
    deliveryId: "dlv_1",
    eventType: "order.created",
    url: "http://127.0.0.1:9/",
    attempt: 2,
    trigger: "scheduled",
    statusCode: 500,
    errorClass: "http",
    error: "HTTP 500",
    durationMs: 12,
    result: "retry",
    nextAttemptAt: at + 2500,
    ...extra,
  }) as Extract<SchedulerEvent, { type: "attempt-finished" }>;

describe("replay progress rendering", () => {
  const out = createOutput(testContext().ctx, {});

  it("says what each attempt led to", () => {
    expect(attemptLine(finished({}), out, at)).toBe("dlv_1 order.created #2 → 500 in 12ms, retry in 2.5s");
    expect(attemptLine(finished({ statusCode: 200, result: "succeeded", trigger: "manual" }), out, at)).toBe(
      "dlv_1 order.created #2 manual → 200 in 12ms, succeeded",
    );
    expect(attemptLine(finished({ statusCode: 410, result: "dead", nextAttemptAt: null }), out, at)).toMatch(
      /→ 410 in 12ms, dead \(410 Gone\)$/,
    );
    expect(
      attemptLine(
        finished({ statusCode: null, errorClass: "refused", error: "connect ECONNREFUSED", result: "dead" }),
        out,
        at,
      ),
    ).toMatch(/→ refused \(connect ECONNREFUSED\) in 12ms, dead \(retries used up\)$/);
  });

  it("shows counts and a countdown to the next attempt only while nothing runs", () => {
    const counts = {
      pending: 3,
      inFlight: 0,
      succeeded: 5,
      dead: 1,
      attempts: 9,
      nextAttemptAt: at + 90_000,
    };
    expect(statusLine(counts, out, at)).toMatch(
      /^pending 3 · in flight 0 · succeeded 5 · dead 1 · next attempt in 1\.5m \(\d\d:\d\d:\d\d\)$/,
    );
    expect(statusLine({ ...counts, inFlight: 2 }, out, at)).toBe(
      "pending 3 · in flight 2 · succeeded 5 · dead 1",
    );
  });

  it("turns times into ISO strings for JSON and leaves out the periodic counts", () => {
    expect(replayEventJson({ type: "idle", at, until: at + 1000, pending: 1 })).toEqual({
      type: "idle",
      at: "2026-01-01T12:00:00.000Z",
      until: "2026-01-01T12:00:01.000Z",
      pending: 1,
    });
    expect(replayEventJson(finished({}))?.nextAttemptAt).toBe("2026-01-01T12:00:02.500Z");
    expect(
      replayEventJson({
        type: "counts",
        at,
        pending: 0,
        inFlight: 0,
        succeeded: 0,
        dead: 0,
        attempts: 0,
        nextAttemptAt: null,
      }),
    ).toBeUndefined();
  });

  it("on a terminal redraws one status line and clears it before printing lines above it", () => {
    const { ctx } = testContext();
    const chunks: string[] = [];
    const stderr = new PassThrough() as PassThrough & OutStream;
    stderr.isTTY = true;
    stderr.on("data", (c: Buffer) => chunks.push(c.toString()));
    const stdout = new PassThrough() as PassThrough & OutStream;
    const lines: string[] = [];
    stdout.on("data", (c: Buffer) => lines.push(c.toString()));
    const output = createOutput({ ...ctx, stderr, stdout }, {});
    const renderer = createReplayRenderer(output, { now: () => at, live: true });
    renderer.onEvent({ type: "started", at, pending: 1, reclaimed: 0, watch: false });
    renderer.onEvent({
      type: "attempt-started",
      at,
      deliveryId: "dlv_1",
      eventType: "e",
      url: "u",
      attempt: 1,
      trigger: "initial",
    });
    renderer.onEvent(finished({ statusCode: 200, result: "succeeded" }));
    renderer.close();
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        const text = chunks.join("");
        expect(text).toContain("\r\u001b[2Kpending 1 · in flight 1");
        expect(text).toContain("succeeded 1");
        expect(text.endsWith("\r\u001b[2K")).toBe(true);
        expect(lines.join("")).toBe("dlv_1 order.created #2 → 200 in 12ms, succeeded\n");
        resolve();
      }),
    );
  });
});
