import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { check, mapNames, secretFor, signed, T, withHeader } from "./support.js";

// Signature semantics at the edges, as each provider's own library judges them: with the scheme
// named, a request missing or garbling one of its signed headers is not authentic; only `auto`
// facing no signature header at all has nothing to check.
const body = Buffer.from('{"type":"invoice.paid"}');

describe("svix reads the webhook-* names too (Svix sends both, its libraries accept both)", () => {
  const secret = secretFor("svix", "a");
  const svixHeaders = signed("svix", body, [secret]).headers;
  const webhookOnly = mapNames(svixHeaders, (name) => name.replace(/^svix-/, "webhook-"));

  it("accepts a request carrying only webhook-id, webhook-timestamp and webhook-signature", () => {
    expect(Object.keys(webhookOnly)).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature"]);
    expect(check("svix", body, webhookOnly, [secret])).toMatchObject({
      outcome: "valid",
      scheme: "svix",
      timestampValue: String(T),
    });
  });

  it("uses the complete set when the svix-* one lacks a header, as Svix's library does", () => {
    const { "svix-id": _id, ...partial } = svixHeaders;
    expect(check("svix", body, { ...partial, ...webhookOnly }, [secret])).toMatchObject({ outcome: "valid" });
  });

  it("judges the svix-* set first: a forged svix-signature is not rescued by the other set", () => {
    const forged = withHeader(
      svixHeaders,
      "svix-signature",
      () => `v1,${Buffer.alloc(32).toString("base64")}`,
    );
    expect(check("svix", body, { ...forged, ...webhookOnly }, [secret])).toMatchObject({
      outcome: "invalid",
      reason: "signature does not match any secret",
    });
  });

  it("names the missing header in the set that was sent", () => {
    const { "webhook-timestamp": _ts, ...noTimestamp } = webhookOnly;
    expect(check("svix", body, noTimestamp, [secret])).toMatchObject({
      outcome: "invalid",
      reason: "no webhook-timestamp header (svix signs id.timestamp.body)",
    });
    const { "svix-id": _id, ...noId } = svixHeaders;
    expect(check("svix", body, noId, [secret])).toMatchObject({
      outcome: "invalid",
      reason: "no svix-id header (svix signs id.timestamp.body)",
    });
    expect(check("svix", body, { "content-type": "application/json" }, [secret])).toMatchObject({
      outcome: "invalid",
      reason: "no svix-signature header",
    });
  });

  it("standard does not read svix-* names (the Standard Webhooks libraries do not)", () => {
    expect(check("standard", body, svixHeaders, [secret])).toMatchObject({
      outcome: "invalid",
      reason: "no webhook-signature header",
    });
  });
});

describe("github's legacy SHA-1 X-Hub-Signature", () => {
  const sha1 = `sha1=${createHmac("sha1", "k").update(body).digest("hex")}`;
  const sha256 = `sha256=${createHmac("sha256", "k").update(body).digest("hex")}`;
  const reason =
    "only the legacy SHA-1 X-Hub-Signature header; GitHub's libraries verify only X-Hub-Signature-256";

  it("alone is not authentic, with --scheme github or auto, and the reason says why", () => {
    for (const scheme of ["github", "auto"] as const) {
      expect(check(scheme, body, { "X-Hub-Signature": sha1 }, ["k"])).toEqual({
        outcome: "invalid",
        scheme: "github",
        reason,
        timestamp: null,
        timestampValue: null,
        ageSeconds: null,
      });
    }
  });

  it("beside X-Hub-Signature-256 (what GitHub sends) changes nothing: SHA-256 decides", () => {
    expect(
      check("auto", body, { "X-Hub-Signature": sha1, "X-Hub-Signature-256": sha256 }, ["k"]),
    ).toMatchObject({
      outcome: "valid",
      scheme: "github",
    });
    const forged = `sha256=${"0".repeat(64)}`;
    expect(
      check("auto", body, { "X-Hub-Signature": sha1, "X-Hub-Signature-256": forged }, ["k"]),
    ).toMatchObject({ outcome: "invalid", reason: "signature does not match any secret" });
  });

  it("does not make auto ambiguous when another scheme's signature header is present", () => {
    const hookctl = createHmac("sha256", "k").update(body).digest("hex");
    expect(check("auto", body, { "X-Hub-Signature": sha1, "X-Signature": hookctl }, ["k"])).toMatchObject({
      outcome: "valid",
      scheme: "hookctl",
    });
  });
});

describe("garbled signed headers of a named scheme are not authentic", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["stripe without t", { "Stripe-Signature": `v1=${"a".repeat(64)}` }, "malformed Stripe-Signature header"],
    [
      "slack with a word for a timestamp",
      { "X-Slack-Signature": `v0=${"a".repeat(64)}`, "X-Slack-Request-Timestamp": "now" },
      "malformed X-Slack-Request-Timestamp header",
    ],
    [
      "shopify with something that is not base64",
      { "X-Shopify-Hmac-Sha256": "%%" },
      "malformed X-Shopify-Hmac-Sha256 header",
    ],
    [
      "github without sha256=",
      { "X-Hub-Signature-256": "a".repeat(64) },
      "malformed X-Hub-Signature-256 header",
    ],
  ];
  for (const [name, headers, reason] of cases) {
    it(name, () => {
      const scheme = name.split(" ")[0] as "stripe" | "slack" | "shopify" | "github";
      expect(check(scheme, body, headers, ["whsec_x"])).toMatchObject({ outcome: "invalid", scheme, reason });
    });
  }
});

describe("auto", () => {
  it("with no signature header at all stays unverifiable (nothing to check), even with id and timestamp", () => {
    expect(check("auto", body, { "webhook-id": "m", "webhook-timestamp": String(T) }, ["k"])).toMatchObject({
      outcome: "unverifiable",
      code: "no-signature",
    });
  });
});
