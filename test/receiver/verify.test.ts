import { describe, expect, it } from "vitest";
import { schemeNames } from "../../src/signing/index.js";
import { post, secret, signed, startTestReceiver } from "./support.js";

const body = '{"type":"order.created","data":{"id":"ord_1","total":4200}}';

describe("receiver verification", () => {
  for (const scheme of schemeNames) {
    it(`accepts a valid ${scheme} signature and rejects a tampered body with 401 and a reason`, async () => {
      const { url, events, receiver } = await startTestReceiver({ secrets: [secret] });
      const headers = signed(scheme, body, { id: `msg_${scheme}` });

      const ok = await post(url, body, headers);
      expect(ok.status).toBe(200);
      expect(events[0]?.verification).toMatchObject({ status: "verified", scheme, secretIndex: 0 });
      expect(events[0]?.eventType).toBe("order.created");

      const forged = await post(url, body.replace("4200", "1"), headers);
      expect(forged.status).toBe(401);
      expect(forged.body.toString()).toMatch(/^invalid signature: .+\n$/);
      expect(events[1]?.verification).toMatchObject({ status: "invalid", scheme });
      expect(receiver.summary()).toMatchObject({ received: 2, verified: 1, rejected: 1 });
    });
  }

  it("checks the scheme given instead of guessing", async () => {
    const { url, events } = await startTestReceiver({ secrets: [secret], scheme: "stripe" });
    const reply = await post(url, body, signed("github", body));
    expect(reply.status).toBe(401);
    expect(events[0]?.verification.scheme).toBe("stripe");
  });

  it("rejects a stale timestamp outside the tolerance", async () => {
    const { url, events } = await startTestReceiver({ secrets: [secret], toleranceSeconds: 60 });
    const old = Math.floor(Date.now() / 1000) - 3600;
    const reply = await post(url, body, signed("stripe", body, { timestamp: old }));
    expect(reply.status).toBe(401);
    expect(events[0]?.verification.reason).toMatch(/old/);
  });

  it("judges timestamps by the injected clock", async () => {
    const signedAt = 1_700_000_000;
    const { url } = await startTestReceiver({ secrets: [secret] }, { now: () => (signedAt + 10) * 1000 });
    const reply = await post(url, body, signed("standard", body, { timestamp: signedAt }));
    expect(reply.status).toBe(200);
  });

  it("accepts any of several secrets and reports which matched (rotation)", async () => {
    const { url, events } = await startTestReceiver({ secrets: ["old-secret", secret] });
    expect((await post(url, body, signed("github", body))).status).toBe(200);
    expect(events[0]?.verification.secretIndex).toBe(1);
  });

  it("treats a request without any signature as unauthentic when secrets are set", async () => {
    const { url, events } = await startTestReceiver({ secrets: [secret] });
    const reply = await post(url, body, { "content-type": "application/json" });
    expect(reply.status).toBe(401);
    expect(reply.body.toString()).toContain("no signature header");
    expect(events[0]?.verification.status).toBe("invalid");
  });

  it("accepts everything as unverified without secrets", async () => {
    const { url, events, receiver } = await startTestReceiver();
    expect((await post(url, body, { "X-Signature": "nonsense" })).status).toBe(200);
    expect(events[0]?.verification).toEqual({
      status: "unverified",
      scheme: null,
      reason: null,
      secretIndex: null,
    });
    expect(receiver.summary()).toMatchObject({ received: 1, verified: 0, unverified: 1, rejected: 0 });
  });
});
