import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { OutStream } from "../../src/cli/context.js";
import { createOutput } from "../../src/cli/output.js";
import {
  attemptLine,
  createReplayRenderer,
  type DescribeDelivery,
  horizonNote,
  replayEventJson,
  statusLine,
  waitLine,
} from "../../src/cli/render/replay-progress.js";
import type { DeliveryItem } from "../../src/contract/delivery.js";
import { replayEvent } from "../../src/contract/schema/replay.js";
import type { SchedulerEvent } from "../../src/delivery/scheduler.js";
import { createdRow } from "../../src/store/deliveries.js";
import type { AttemptRecord } from "../../src/store/types.js";
import { testContext } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";

const at = Date.UTC(2026, 0, 1, 12, 0, 0);
const url = "http://127.0.0.1:9/";
const record: AttemptRecord = {
  deliveryId: "dlv_1",
  number: 2,
  trigger: "scheduled",
  url,
  requestHeaders: { "X-Webhook-Delivery-ID": "dlv_1", "X-Echo": "key whsec_abcdefghijklmnop" },
  startedAt: at - 12,
  durationMs: 12.0004,
  statusCode: 500,
  responseHeaders: { "content-type": "text/plain" },
  responseBody: Buffer.from("boom"),
  responseTruncated: false,
  errorClass: "http",
  errorMessage: "HTTP 500",
};
const finished = (extra: Partial<Extract<SchedulerEvent, { type: "attempt-finished" }>>) =>
  ({
    type: "attempt-finished",
    at,
    deliveryId: "dlv_1",
    eventType: "order.created",
    url,
    attempt: 2,
    trigger: "scheduled",
    statusCode: 500,
    errorClass: "http",
    error: "HTTP 500",
    durationMs: 12,
    result: "retry",
    nextAttemptAt: at + 2500,
    deadReason: null,
    record,
    ...extra,
  }) as Extract<SchedulerEvent, { type: "attempt-finished" }>;

/** The delivery as the log has it after that attempt: retry 2 due in 2.5 s. */
const item: DeliveryItem = {
  delivery: {
    ...createdRow(
      {
        id: "dlv_1",
        endpointId: null,
        url,
        scheme: "hookctl",
        extraHeaders: {},
        secrets: ["whsec_abcdefghijklmnop"],
        policy: "{}",
        timeoutMs: 10_000,
      },
      "evt_1",
      at - 5000,
    ),
    attemptCount: 2,
    scheduleAttempts: 2,
    nextAttemptAt: at + 2500,
    nextTrigger: "scheduled",
    lastStatusCode: 500,
    lastErrorClass: "http",
    lastError: "HTTP 500",
    updatedAt: at,
  },
  eventType: "order.created",
  endpointName: null,
  lastDurationMs: record.durationMs,
  lastAttemptAt: record.startedAt,
  secrets: ["whsec_abcdefghijklmnop"],
};
const describeOne: DescribeDelivery = (id) => (id === "dlv_1" ? item : undefined);

describe("replay progress rendering", () => {
  const out = createOutput(testContext().ctx, {});

  it("says what each attempt led to", () => {
    expect(attemptLine(finished({}), out, at)).toBe(
      'dlv_1 order.created #2 → 500 in 12ms, retry in 2.5s · "boom"',
    );
    expect(attemptLine(finished({ statusCode: 200, result: "succeeded", trigger: "manual" }), out, at)).toBe(
      "dlv_1 order.created #2 manual → 200 in 12ms, succeeded",
    );
    expect(
      attemptLine(
        finished({ statusCode: 410, result: "dead", nextAttemptAt: null, deadReason: "gone" }),
        out,
        at,
      ),
    ).toMatch(/→ 410 in 12ms, dead \(410 Gone\) · "boom"$/);
    expect(
      attemptLine(
        finished({
          statusCode: null,
          errorClass: "refused",
          error: "connect ECONNREFUSED",
          result: "dead",
          deadReason: "exhausted",
        }),
        out,
        at,
      ),
    ).toMatch(/→ refused \(connect ECONNREFUSED\) in 12ms, dead \(retries exhausted\)$/);
  });

  it("says why a receiver refused: its first body line, escaped and cut, and what to check", () => {
    const refused = (statusCode: number, body: string) =>
      attemptLine(
        finished({
          statusCode,
          result: "dead",
          nextAttemptAt: null,
          deadReason: "rejected",
          record: { ...record, statusCode, responseBody: Buffer.from(body) },
        }),
        out,
        at,
      );
    expect(refused(401, "signature does not match any secret\nmore")).toBe(
      'dlv_1 order.created #2 → 401 in 12ms, dead (rejected (401, not retried)) · "signature does not match any secret" — the receiver rejected the signature? check the endpoint\'s secret and scheme',
    );
    expect(refused(404, "no route")).toContain("listen accepts any path unless --path narrows it");
    const long = refused(400, `\u001b[31m${"x".repeat(200)}`);
    expect(long).toContain('"\\u001b[31mxxx');
    expect(long).not.toContain("\u001b");
    expect(long.split('"')[1]).toHaveLength(80);
  });

  it("names what it waits for, and how many more are pending", () => {
    const idle = { type: "idle" as const, at, until: at + 4900, next: "dlv_1", pending: 3 };
    expect(waitLine(idle, item)).toBe(
      "waiting 4.9s for dlv_1 (order.created → http://127.0.0.1:9/, retry 2) and 2 more pending",
    );
    expect(waitLine({ ...idle, pending: 1 }, { ...item, endpointName: "orders" })).toBe(
      "waiting 4.9s for dlv_1 (order.created → orders, retry 2)",
    );
    expect(waitLine({ ...idle, next: null }, undefined)).toBe(
      "waiting 4.9s for the next attempt (3 pending)",
    );
  });

  it("says up front how long the schedule can run and that Ctrl-C loses nothing", () => {
    const note = horizonNote(at + 100 * 60_000, at);
    expect(note).toMatch(
      /^the schedule can run until \d\d:\d\d:\d\d \(up to 1h 40m\) if every retry fails; /,
    );
    expect(note).toContain("Ctrl-C stops it and loses nothing");
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
    const json = (event: SchedulerEvent) => {
      const value = replayEventJson(event, describeOne);
      return value === undefined ? undefined : shaped(replayEvent, value);
    };
    expect(json({ type: "idle", at, until: at + 1000, next: null, pending: 1 })).toEqual({
      type: "idle",
      at: "2026-01-01T12:00:00.000Z",
      until: "2026-01-01T12:00:01.000Z",
      pending: 1,
    });
    const attempt = json(finished({}));
    expect(attempt).toMatchObject({
      type: "attempt",
      at: "2026-01-01T12:00:00.000Z",
      result: "retry",
      attempt: {
        deliveryId: "dlv_1",
        number: 2,
        trigger: "scheduled",
        startedAt: "2026-01-01T11:59:59.988Z",
        durationMs: 12,
        statusCode: 500,
        error: "HTTP 500",
        requestHeaders: [
          { name: "X-Webhook-Delivery-ID", value: "dlv_1" },
          { name: "X-Echo", value: "key whsec_abcd…" },
        ],
        responseHeaders: [{ name: "content-type", value: "text/plain" }],
        responseBody: "boom",
        responseBodyBase64: null,
      },
      delivery: {
        id: "dlv_1",
        status: "pending",
        attemptCount: 2,
        nextAttemptAt: "2026-01-01T12:00:02.500Z",
        nextTrigger: "scheduled",
        nextRetry: 2,
        signing: { source: "delivery", secrets: ["whsec_abcd…"] },
        lastAttempt: { number: 2, statusCode: 500, durationMs: 12, startedAt: "2026-01-01T11:59:59.988Z" },
      },
    });
    expect(json({ type: "started", at, pending: 3, reclaimed: 1, watch: false })).toEqual({
      type: "started",
      at: "2026-01-01T12:00:00.000Z",
      pending: 3,
      reclaimed: 1,
      watch: false,
    });
    expect(json({ type: "reclaimed", at, count: 2 })).toEqual({
      type: "reclaimed",
      at: "2026-01-01T12:00:00.000Z",
      count: 2,
    });
    expect(
      json({ type: "rate-limited", at, endpointId: "ep_1", endpoint: "orders", until: at + 200 }),
    ).toEqual({
      type: "rate-limited",
      at: "2026-01-01T12:00:00.000Z",
      endpoint: "orders",
      until: "2026-01-01T12:00:00.200Z",
    });
    // Purged by another process before it could be described: nothing to print.
    expect(replayEventJson(finished({ deliveryId: "dlv_gone" }), describeOne)).toBeUndefined();
    expect(
      json({
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
    expect(
      json({
        type: "attempt-started",
        at,
        deliveryId: "dlv_1",
        eventType: "e",
        url,
        attempt: 1,
        trigger: "initial",
      }),
    ).toBeUndefined();
    expect(json({ type: "delivery-succeeded", at, deliveryId: "dlv_1", attempts: 1 })).toBeUndefined();
    expect(
      json({ type: "delivery-dead", at, deliveryId: "dlv_1", reason: "gone", attempts: 1, error: null }),
    ).toBeUndefined();
    const counts = { pending: 1, inFlight: 0, succeeded: 2, dead: 0, attempts: 4 };
    expect(json({ type: "stopped", at, reason: "done", ...counts, nextAttemptAt: at + 2500 })).toEqual({
      type: "stopped",
      at: "2026-01-01T12:00:00.000Z",
      reason: "done",
      ...counts,
      nextAttemptAt: "2026-01-01T12:00:02.500Z",
    });
  });

  it("says when the log is away and when it tries again, as a note and as a JSON event", () => {
    const event: SchedulerEvent = {
      type: "store-unavailable",
      at,
      error: "lost the connection to the PostgreSQL log",
      retryAt: at + 4000,
    };
    expect(shaped(replayEvent, replayEventJson(event, describeOne))).toEqual({
      type: "store-unavailable",
      at: "2026-01-01T12:00:00.000Z",
      error: "lost the connection to the PostgreSQL log",
      retryAt: "2026-01-01T12:00:04.000Z",
    });
    const { ctx, stderr } = testContext();
    const renderer = createReplayRenderer(createOutput(ctx, {}), {
      now: () => at,
      describe: describeOne,
      live: false,
    });
    renderer.onEvent(event);
    renderer.close();
    expect(stderr()).toBe(
      "the delivery log is unavailable: lost the connection to the PostgreSQL log; trying again in 4s (nothing stored is lost)\n",
    );
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
    const renderer = createReplayRenderer(output, { now: () => at, describe: describeOne, live: true });
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
