import { describe, expect, it } from "vitest";
import {
  detectSchemes,
  parseSchemeName,
  schemeForSignatureValue,
  schemeNames,
  signatureHeaderOf,
  verify,
} from "../../src/signing/index.js";
import { secretFor, signed, T } from "./support.js";

const body = Buffer.from("{}");

describe("scheme names", () => {
  it("lists the seven schemes, hookctl first", () => {
    expect(schemeNames).toEqual(["hookctl", "standard", "svix", "stripe", "github", "slack", "shopify"]);
  });

  it("parses names in any case, with standard-webhooks as an alias", () => {
    expect(parseSchemeName("Stripe")).toBe("stripe");
    expect(parseSchemeName("standard-webhooks")).toBe("standard");
    expect(parseSchemeName(" svix ")).toBe("svix");
    expect(parseSchemeName("auto")).toBeUndefined();
    expect(parseSchemeName("paypal")).toBeUndefined();
  });
});

describe("detectSchemes", () => {
  it("finds each scheme by its signature header, in any case", () => {
    for (const scheme of schemeNames) {
      const header = signatureHeaderOf(scheme);
      expect(detectSchemes({ [header.toUpperCase()]: "x", "Content-Type": "application/json" })).toEqual([
        scheme,
      ]);
    }
  });

  it("reports every scheme present, and none for unrelated headers", () => {
    expect(detectSchemes({ "x-signature": "a", "stripe-signature": "b" })).toEqual(["hookctl", "stripe"]);
    expect(detectSchemes({ "x-webhook-timestamp": "1", "webhook-id": "m" })).toEqual([]);
  });
});

describe("auto", () => {
  const run = (headers: Record<string, string>, secrets = ["k"]) =>
    verify({ scheme: "auto", body, headers, secrets, toleranceSeconds: 300, nowSeconds: T });

  it("says which headers it saw and which it expected when none matches", () => {
    expect(run({ "Content-Type": "application/json" })).toEqual({
      outcome: "unverifiable",
      scheme: null,
      code: "no-signature",
      reason:
        "no signature header found (saw content-type; expected one of X-Signature, webhook-signature, svix-signature, Stripe-Signature, X-Hub-Signature-256, X-Slack-Signature, X-Shopify-Hmac-Sha256)",
    });
    expect(run({})).toMatchObject({ reason: expect.stringContaining("saw no headers") });
  });

  it("refuses to guess between several schemes", () => {
    expect(run({ "X-Signature": "ab", "X-Hub-Signature-256": "sha256=ab" })).toMatchObject({
      outcome: "unverifiable",
      code: "ambiguous",
      reason:
        "several signature headers present: X-Signature (hookctl), X-Hub-Signature-256 (github); cannot tell which scheme to check",
    });
  });

  it("treats Svix's svix-* and webhook-* pair as one standard message", () => {
    const secret = secretFor("svix", "a");
    const svix = signed("svix", body, [secret]).headers;
    const standard = signed("standard", body, [secret]).headers;
    expect(run({ ...svix, ...standard }, [secret])).toMatchObject({ outcome: "valid", scheme: "standard" });
  });
});

describe("schemeForSignatureValue (verify --signature with --scheme auto)", () => {
  it("recognises each scheme's value shape", () => {
    const hex = "a".repeat(64);
    const b64 = Buffer.alloc(32, 1).toString("base64");
    expect(schemeForSignatureValue(`t=${T},v1=${hex}`, {})).toBe("stripe");
    expect(schemeForSignatureValue(`v0=${hex}`, {})).toBe("slack");
    expect(schemeForSignatureValue(`v1,${b64}`, {})).toBe("standard");
    expect(schemeForSignatureValue(`v1,${b64}`, { "Svix-Id": "msg" })).toBe("svix");
    expect(schemeForSignatureValue(`sha256=${hex}`, {})).toBe("github");
    expect(schemeForSignatureValue(hex, {})).toBe("hookctl");
    expect(schemeForSignatureValue(b64, {})).toBe("shopify");
    expect(schemeForSignatureValue("what", {})).toBeUndefined();
  });
});
