import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createAttempt } from "../../src/delivery/attempt.js";
import { type ClaimedDelivery, type DeliverDeps, deliverClaimed } from "../../src/delivery/deliver.js";
import { defaultPolicy, type RetryPolicy } from "../../src/delivery/policy.js";
import { verify } from "../../src/signing/index.js";
import { createEventWithDeliveries, getDelivery, listAttempts } from "../../src/store/deliveries.js";
import { getEvent } from "../../src/store/events.js";
import { Leases } from "../../src/store/leases.js";
import { type Db, openDb } from "../../src/store/open.js";
import { type Receiver, startReceiver, statusReceiver } from "../helpers/receivers.js";
import { tempDb } from "../helpers/tmp.js";

let receiver: Receiver | undefined;
let db: Db | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  db?.close();
  db = undefined;
});

const t0 = Date.UTC(2026, 0, 15, 9, 30);
const body = Buffer.from('{"id":"evt_1","type":"order.created","total":10486}');

function seed(
  url: string,
  options: {
    scheme?: string;
    secrets?: string[] | null;
    extraHeaders?: Record<string, string>;
    policy?: RetryPolicy;
  } = {},
) {
  db = openDb(tempDb());
  createEventWithDeliveries(
    db,
    { id: "evt_1", type: "order.created", body, contentType: "application/json", createdAt: t0 },
    [
      {
        id: "dlv_1",
        endpointId: null,
        url,
        scheme: options.scheme ?? "hookctl",
        extraHeaders: options.extraHeaders ?? {},
        secrets: options.secrets ?? null,
        policy: JSON.stringify(options.policy ?? defaultPolicy),
        timeoutMs: 5000,
      },
    ],
    t0,
  );
  return db;
}

function deps(database: Db, now = () => t0): DeliverDeps {
  return {
    leases: new Leases(database),
    attempt: createAttempt({ now }),
    now,
    random: () => 0.5, // the middle of the jitter range: delays equal their base
    userAgent: "hookctl/test",
    randomHex: (n) => randomBytes(n).toString("hex"),
  };
}

function claim(database: Db, token = "tok-a", now = t0): ClaimedDelivery {
  const delivery = new Leases(database).claimById("dlv_1", { now, leaseMs: 30_000, token });
  if (!delivery) throw new Error("not claimed");
  const event = getEvent(database, delivery.eventId);
  if (!event) throw new Error("no event");
  return { delivery, event, secrets: delivery.secrets ?? [], leaseToken: token };
}

describe("deliverClaimed", () => {
  it("sends our headers, a fresh traceparent and a signature that verifies over the exact bytes", async () => {
    receiver = await startReceiver({ status: 200 });
    const database = seed(receiver.url, { secrets: ["s3cret"], extraHeaders: { "X-Tenant": "acme" } });
    const report = await deliverClaimed(claim(database), deps(database));
    const [seen] = receiver.requests;
    if (!seen) throw new Error("no request");
    expect(seen.body.equals(body)).toBe(true);
    expect(seen.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "hookctl/test",
      "x-webhook-delivery-id": "dlv_1",
      "x-webhook-event": "order.created",
      "x-webhook-timestamp": String(Math.floor(t0 / 1000)),
      "x-tenant": "acme",
    });
    expect(seen.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const headers = Object.fromEntries(Object.entries(seen.headers).map(([k, v]) => [k, String(v)]));
    const result = verify({
      scheme: "hookctl",
      body: seen.body,
      headers,
      secrets: ["s3cret"],
      toleranceSeconds: 0,
      nowSeconds: t0 / 1000,
    });
    expect(result.outcome).toBe("valid");
    expect(report.decision).toEqual({ status: "succeeded" });
  });

  it("signs with every secret for schemes that carry several (rotation)", async () => {
    receiver = await startReceiver({ status: 200 });
    const secrets = [
      `whsec_${Buffer.alloc(32, 1).toString("base64")}`,
      `whsec_${Buffer.alloc(32, 2).toString("base64")}`,
    ];
    const database = seed(receiver.url, { scheme: "standard", secrets });
    await deliverClaimed(claim(database), deps(database));
    const signature = String(receiver.requests[0]?.headers["webhook-signature"]);
    expect(signature.split(" ")).toHaveLength(2);
    const headers = Object.fromEntries(
      Object.entries(receiver.requests[0]?.headers ?? {}).map(([k, v]) => [k, String(v)]),
    );
    for (const secret of secrets) {
      const result = verify({
        scheme: "standard",
        body,
        headers,
        secrets: [secret],
        toleranceSeconds: 0,
        nowSeconds: t0 / 1000,
      });
      expect(result.outcome).toBe("valid");
    }
  });

  it("records a 503 as attempt 1 and leaves the delivery pending for retry 1, due after the base delay", async () => {
    receiver = await statusReceiver(503);
    const database = seed(receiver.url);
    const report = await deliverClaimed(claim(database), deps(database));
    expect(report.decision).toMatchObject({
      status: "pending",
      retry: 1,
      delayMs: 1000,
      nextAttemptAt: t0 + 1000,
    });
    expect(getDelivery(database, "dlv_1")).toMatchObject({
      status: "pending",
      attemptCount: 1,
      scheduleAttempts: 1,
      nextAttemptAt: t0 + 1000,
      nextTrigger: "scheduled",
      lastStatusCode: 503,
      lastErrorClass: "http",
      leaseToken: null,
      completedAt: null,
    });
    const [attempt] = listAttempts(database, "dlv_1");
    expect(attempt).toMatchObject({ number: 1, trigger: "initial", statusCode: 503, errorClass: "http" });
    expect(attempt?.requestHeaders["X-Webhook-Delivery-ID"]).toBe("dlv_1");
    expect(Buffer.from(attempt?.responseBody ?? []).toString()).toBe("status 503");
  });

  it("a Retry-After later than the backoff pushes the retry out", async () => {
    receiver = await statusReceiver(429, { "Retry-After": "120" });
    const database = seed(receiver.url);
    const report = await deliverClaimed(claim(database), deps(database));
    expect(report.decision).toMatchObject({ status: "pending", nextAttemptAt: t0 + 120_000 });
    expect(getDelivery(database, "dlv_1")?.nextAttemptAt).toBe(t0 + 120_000);
  });

  it("410 Gone makes the delivery dead at once", async () => {
    receiver = await statusReceiver(410);
    const database = seed(receiver.url);
    const report = await deliverClaimed(claim(database), deps(database));
    expect(report.decision).toEqual({ status: "dead", reason: "gone" });
    expect(getDelivery(database, "dlv_1")).toMatchObject({
      status: "dead",
      nextAttemptAt: null,
      completedAt: t0,
    });
  });

  it("a policy passed with the claim overrides the one recorded (replay's flags)", async () => {
    receiver = await statusReceiver(500);
    const database = seed(receiver.url);
    const claimed = { ...claim(database), policy: { ...defaultPolicy, retries: 0 } };
    const report = await deliverClaimed(claimed, deps(database));
    expect(report.decision).toEqual({ status: "dead", reason: "exhausted" });
  });

  it("a holder whose lease was taken over records nothing", async () => {
    receiver = await startReceiver({ status: 200 });
    const database = seed(receiver.url);
    const stale = claim(database, "old-holder");
    const leases = new Leases(database);
    // The old holder's lease expires; another process reclaims and claims the delivery.
    expect(leases.reclaimExpired(t0 + 60_000)).toBe(1);
    expect(
      leases.claimById("dlv_1", { now: t0 + 60_000, leaseMs: 30_000, token: "new-holder" }),
    ).toBeDefined();
    const report = await deliverClaimed(stale, deps(database));
    expect(report.stale).toBe(true);
    expect(listAttempts(database, "dlv_1")).toHaveLength(0);
    expect(getDelivery(database, "dlv_1")).toMatchObject({ status: "in_flight", leaseToken: "new-holder" });
  });
});
