import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { check, mapNames, referenceSignature, secretFor, signed, T, traits, withHeader } from "./support.js";

const body = Buffer.from('{"type":"order.created","data":{"id":42}}');
const mismatch = { outcome: "invalid", reason: "signature does not match any secret" };

describe.each(traits)("$name scheme", (scheme) => {
  const a = secretFor(scheme.name, "a");
  const b = secretFor(scheme.name, "b");
  const c = secretFor(scheme.name, "c");
  const sig = (headers: Record<string, string>, name: string) =>
    headers[Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase()) as string] as string;

  it("signs what the provider's documentation describes (independent node:crypto computation)", () => {
    const result = signed(scheme.name, body, [a], "msg_42", T);
    expect(result.headers[result.signatureHeader]).toBe(
      referenceSignature(scheme.name, a, body, "msg_42", T),
    );
  });

  it("round-trips: what sign emits, verify accepts", () => {
    const { headers } = signed(scheme.name, body, [a]);
    expect(check(scheme.name, body, headers, [a])).toMatchObject({
      outcome: "valid",
      scheme: scheme.name,
      secretIndex: 0,
    });
    expect(check("auto", body, headers, [a])).toMatchObject({ outcome: "valid", scheme: scheme.name });
  });

  it("rejects a tampered body", () => {
    const { headers } = signed(scheme.name, body, [a]);
    expect(check(scheme.name, Buffer.from(`${body} `), headers, [a])).toMatchObject(mismatch);
  });

  it("rejects a wrong secret", () => {
    const { headers } = signed(scheme.name, body, [a]);
    expect(check(scheme.name, body, headers, [b])).toMatchObject(mismatch);
  });

  if (scheme.idHeader) {
    const idHeader = scheme.idHeader;
    it("rejects a tampered id (the id is signed)", () => {
      const { headers } = signed(scheme.name, body, [a], "msg_1");
      expect(
        check(
          scheme.name,
          body,
          withHeader(headers, idHeader, () => "msg_2"),
          [a],
        ),
      ).toMatchObject(mismatch);
    });
  } else if (scheme.name === "hookctl") {
    it("does not sign the delivery id or timestamp (they travel alongside), as documented", () => {
      const { headers } = signed(scheme.name, body, [a]);
      const moved = withHeader(
        withHeader(headers, "X-Webhook-Delivery-ID", () => "dlv_other"),
        "X-Webhook-Timestamp",
        () => "1",
      );
      expect(check(scheme.name, body, moved, [a])).toMatchObject({ outcome: "valid", timestamp: null });
    });
  }

  if (scheme.timestampHeader) {
    const timestampHeader = scheme.timestampHeader;
    const shift = (value: string) =>
      scheme.name === "stripe" ? value.replace(`t=${T}`, `t=${T + 1}`) : String(Number(value) + 1);

    it("rejects a tampered timestamp (the timestamp is signed)", () => {
      const { headers } = signed(scheme.name, body, [a]);
      const moved = withHeader(headers, timestampHeader, shift);
      expect(check(scheme.name, body, moved, [a], { now: T + 1 })).toMatchObject(mismatch);
    });

    it("accepts timestamps exactly at the tolerance, both directions", () => {
      const { headers } = signed(scheme.name, body, [a]);
      expect(check(scheme.name, body, headers, [a], { now: T + 300 })).toMatchObject({
        outcome: "valid",
        timestamp: T,
        ageSeconds: 300,
      });
      expect(check(scheme.name, body, headers, [a], { now: T - 300 })).toMatchObject({
        outcome: "valid",
        ageSeconds: -300,
      });
    });

    it("rejects one second past the tolerance, both directions", () => {
      const { headers } = signed(scheme.name, body, [a]);
      expect(check(scheme.name, body, headers, [a], { now: T + 301 })).toMatchObject({
        outcome: "invalid",
        reason: "timestamp 301s old (tolerance 300s)",
        ageSeconds: 301,
      });
      expect(check(scheme.name, body, headers, [a], { now: T - 301 })).toMatchObject({
        outcome: "invalid",
        reason: "timestamp 301s in the future (tolerance 300s)",
      });
    });

    it("tolerance 0 disables the timestamp check", () => {
      const { headers } = signed(scheme.name, body, [a]);
      expect(check(scheme.name, body, headers, [a], { now: T + 10 ** 8, tolerance: 0 })).toMatchObject({
        outcome: "valid",
      });
    });

    it("calls a non-numeric timestamp malformed", () => {
      const { headers } = signed(scheme.name, body, [a]);
      const broken = withHeader(headers, timestampHeader, (value) =>
        scheme.name === "stripe" ? value.replace(`t=${T}`, "t=soon") : "soon",
      );
      const result = check(scheme.name, body, broken, [a]);
      expect(result.outcome).toBe("invalid");
      expect(result.outcome === "invalid" && result.reason).toMatch(/^malformed /);
    });
  } else {
    it("has no timestamp to judge: any clock is fine", () => {
      const { headers } = signed(scheme.name, body, [a]);
      expect(check(scheme.name, body, headers, [a], { now: T + 10 ** 8 })).toMatchObject({
        outcome: "valid",
        timestamp: null,
        ageSeconds: null,
      });
    });
  }

  it("rotation: any of several secrets may match, and the result says which", () => {
    const { headers } = signed(scheme.name, body, [a, b]);
    expect(check(scheme.name, body, headers, [c, a])).toMatchObject({ outcome: "valid", secretIndex: 1 });
    if (scheme.multi) {
      // One signature per secret: the receiver that only knows the new secret accepts it too.
      expect(check(scheme.name, body, headers, [c, b])).toMatchObject({ outcome: "valid", secretIndex: 1 });
    } else {
      // Single-signature schemes sign with the first secret only.
      expect(check(scheme.name, body, headers, [b])).toMatchObject(mismatch);
    }
  });

  it("emits one signature per secret only where the header carries several", () => {
    const one = signed(scheme.name, body, [a]);
    const two = signed(scheme.name, body, [a, b]);
    const value = (result: typeof one) => result.headers[result.signatureHeader] as string;
    if (scheme.multi) expect(value(two).length).toBeGreaterThan(value(one).length);
    else expect(value(two)).toBe(value(one));
  });

  it("finds headers whatever their case", () => {
    const { headers } = signed(scheme.name, body, [a]);
    for (const rename of [(n: string) => n.toLowerCase(), (n: string) => n.toUpperCase()]) {
      expect(check("auto", body, mapNames(headers, rename), [a])).toMatchObject({ outcome: "valid" });
    }
  });

  it("signs and verifies an empty body", () => {
    const empty = new Uint8Array(0);
    const { headers, signatureHeader } = signed(scheme.name, empty, [a]);
    expect(headers[signatureHeader]).toBe(referenceSignature(scheme.name, a, empty, "msg_1", T));
    expect(check(scheme.name, empty, headers, [a])).toMatchObject({ outcome: "valid" });
  });

  it("signs non-UTF-8 bytes as bytes, not as decoded text", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a, 0xed, 0xa0, 0x80]);
    const { headers, signatureHeader } = signed(scheme.name, bytes, [a]);
    expect(headers[signatureHeader]).toBe(referenceSignature(scheme.name, a, bytes, "msg_1", T));
    expect(check(scheme.name, bytes, headers, [a])).toMatchObject({ outcome: "valid" });
    // A UTF-8 round trip replaces the invalid sequences: different bytes, so not authentic.
    const lossy = Buffer.from(bytes.toString("utf8"), "utf8");
    expect(check(scheme.name, lossy, headers, [a])).toMatchObject(mismatch);
  });

  it("handles a 1 MiB body", () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    big[big.length - 1] = 0x62;
    const { headers } = signed(scheme.name, big, [a]);
    expect(check(scheme.name, big, headers, [a])).toMatchObject({ outcome: "valid" });
    const changed = Buffer.from(big);
    changed[changed.length - 1] = 0x63;
    expect(check(scheme.name, changed, headers, [a])).toMatchObject(mismatch);
  });

  it("without its signature header the request is not authentic (explicit scheme), the reason names it", () => {
    const { headers, signatureHeader } = signed(scheme.name, body, [a]);
    const { [signatureHeader]: _dropped, ...rest } = headers;
    expect(check(scheme.name, body, rest, [a])).toEqual({
      outcome: "invalid",
      scheme: scheme.name,
      reason: `no ${signatureHeader} header`,
      timestamp: null,
      timestampValue: null,
      ageSeconds: null,
    });
  });

  it("with auto and no signature header at all, there is nothing to check", () => {
    const { headers, signatureHeader } = signed(scheme.name, body, [a]);
    const { [signatureHeader]: _dropped, ...rest } = headers;
    expect(check("auto", body, rest, [a])).toMatchObject({ outcome: "unverifiable", code: "no-signature" });
  });

  it("hashes a string body as its UTF-8 bytes", () => {
    const text = '{"name":"Zoë","emoji":"🎉"}';
    const { headers } = signed(scheme.name, Buffer.from(text, "utf8"), [a]);
    expect(check(scheme.name, text, headers, [a])).toMatchObject({ outcome: "valid" });
    expect(check(scheme.name, `${text} `, headers, [a])).toMatchObject(mismatch);
  });

  it("cannot check without a secret", () => {
    const { headers } = signed(scheme.name, body, [a]);
    expect(check(scheme.name, body, headers, [])).toMatchObject({
      outcome: "unverifiable",
      code: "no-secret",
    });
  });

  it("calls a garbled signature value malformed", () => {
    const { headers, signatureHeader } = signed(scheme.name, body, [a]);
    const result = check(
      scheme.name,
      body,
      withHeader(headers, signatureHeader, () => "%%%not a signature"),
      [a],
    );
    expect(result.outcome).toBe("invalid");
    expect(result.outcome === "invalid" && result.reason).toBe(`malformed ${signatureHeader} header`);
    expect(sig(headers, signatureHeader)).not.toContain("%");
  });
});

describe("scheme details", () => {
  it("hookctl accepts a sha256= prefix and upper-case hex", () => {
    const digest = createHmac("sha256", "k").update(body).digest("hex");
    for (const value of [`sha256=${digest}`, digest.toUpperCase(), `SHA256=${digest}`]) {
      expect(check("hookctl", body, { "x-signature": value }, ["k"])).toMatchObject({ outcome: "valid" });
    }
  });

  it("github requires the sha256= prefix", () => {
    const digest = createHmac("sha256", "k").update(body).digest("hex");
    expect(check("github", body, { "X-Hub-Signature-256": digest }, ["k"])).toMatchObject({
      outcome: "invalid",
      reason: "malformed X-Hub-Signature-256 header",
    });
  });

  it("stripe keys the HMAC with the whole whsec_ string, ignores v0 and accepts any v1", () => {
    const secret = "whsec_test_secret";
    const good = createHmac("sha256", secret).update(`${T}.`).update(body).digest("hex");
    const header = `t=${T},v0=${"0".repeat(64)},v1=${"1".repeat(64)},v1=${good}`;
    expect(check("stripe", body, { "Stripe-Signature": header }, [secret])).toMatchObject({
      outcome: "valid",
    });
  });

  it("stripe: no t, two t, or no v1 is malformed", () => {
    for (const header of [`v1=${"a".repeat(64)}`, `t=${T},t=${T},v1=${"a".repeat(64)}`, `t=${T},v0=abcd`]) {
      const result = check("stripe", body, { "stripe-signature": header }, ["whsec_x"]);
      expect(result.outcome === "invalid" && result.reason).toMatch(/^malformed Stripe-Signature header/);
    }
  });

  it("standard skips unknown versions and malformed entries but needs one well-formed entry", () => {
    const secret = secretFor("standard", "a");
    const { headers } = signed("standard", body, [secret]);
    const good = headers["webhook-signature"] as string;
    const noisy = withHeader(headers, "webhook-signature", () => `v2,AAAA v1 nonsense ${good} v1,!!`);
    expect(check("standard", body, noisy, [secret])).toMatchObject({ outcome: "valid" });
    for (const value of ["v1,", "v1,g0hM9", "nonsense", ""]) {
      expect(
        check(
          "standard",
          body,
          withHeader(headers, "webhook-signature", () => value),
          [secret],
        ),
      ).toMatchObject({
        outcome: "invalid",
        reason: "malformed webhook-signature header",
      });
    }
  });

  it("standard: a request without webhook-id or webhook-timestamp is not authentic, named (explicit or auto)", () => {
    const secret = secretFor("standard", "a");
    const { headers } = signed("standard", body, [secret]);
    for (const name of ["webhook-id", "webhook-timestamp"]) {
      const { [name]: _dropped, ...rest } = headers;
      for (const scheme of ["standard", "auto"] as const) {
        expect(check(scheme, body, rest, [secret])).toMatchObject({
          outcome: "invalid",
          reason: `no ${name} header (standard signs id.timestamp.body)`,
        });
      }
    }
  });

  it("reports the signed timestamp header's value as sent, even when it is malformed", () => {
    const secret = secretFor("standard", "a");
    const { headers } = signed("standard", body, [secret]);
    expect(check("standard", body, headers, [secret], { now: T + 7 })).toMatchObject({
      outcome: "valid",
      timestamp: T,
      timestampValue: String(T),
      ageSeconds: 7,
    });
    const broken = withHeader(headers, "webhook-timestamp", () => "12e9");
    expect(check("standard", body, broken, [secret])).toEqual({
      outcome: "invalid",
      scheme: "standard",
      reason: "malformed webhook-timestamp header",
      timestamp: null,
      timestampValue: "12e9",
      ageSeconds: null,
    });
    const stripe = signed("stripe", body, ["whsec_s"]).headers;
    expect(check("stripe", body, stripe, ["whsec_s"])).toMatchObject({ timestampValue: String(T) });
  });

  it("standard accepts a secret without the whsec_ prefix (as the reference library does)", () => {
    const secret = secretFor("standard", "a");
    const { headers } = signed("standard", body, [secret]);
    expect(check("standard", body, headers, [secret.slice(6)])).toMatchObject({ outcome: "valid" });
  });

  it("standard reports a secret that is not base64 as unusable, naming which one", () => {
    const { headers } = signed("standard", body, [secretFor("standard", "a")]);
    // Every secret is parsed before any is tried, so a broken rotation list shows up at once
    // instead of only when the good secret stops matching.
    expect(check("standard", body, headers, [secretFor("standard", "a"), "It's a Secret"])).toMatchObject({
      outcome: "unverifiable",
      code: "bad-secret",
      reason: "secret #2 is not a whsec_ secret (whsec_ followed by base64)",
    });
  });

  it("slack needs X-Slack-Request-Timestamp and the v0= prefix", () => {
    const { headers } = signed("slack", body, ["k"]);
    expect(
      check("slack", body, { "X-Slack-Signature": headers["X-Slack-Signature"] as string }, ["k"]),
    ).toMatchObject({
      outcome: "invalid",
      reason: "no X-Slack-Request-Timestamp header (slack signs v0:timestamp:body)",
    });
    const bare = withHeader(headers, "X-Slack-Signature", (value) => value.slice(3));
    expect(check("slack", body, bare, ["k"])).toMatchObject({ reason: "malformed X-Slack-Signature header" });
  });

  it("shopify accepts the base64 digest and rejects hex", () => {
    const digest = createHmac("sha256", "k").update(body).digest();
    expect(
      check("shopify", body, { "X-Shopify-Hmac-Sha256": digest.toString("base64") }, ["k"]),
    ).toMatchObject({
      outcome: "valid",
    });
    expect(check("shopify", body, { "X-Shopify-Hmac-Sha256": digest.toString("hex") }, ["k"])).toMatchObject(
      mismatch,
    );
  });
});
