import { describe, expect, it } from "vitest";
import { collectSecrets } from "../../src/cli/secrets.js";
import { maskSecret } from "../../src/contract/mask.js";
import { testContext } from "../helpers/context.js";

describe("maskSecret", () => {
  it("keeps the prefix and four characters of a long secret", () => {
    expect(maskSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBe("whsec_MfKQ…");
  });

  it("never shows more than a quarter of a short secret", () => {
    expect(maskSecret("x")).toBe("…");
    expect(maskSecret("s3cret")).toBe("s…");
    expect(maskSecret("whsec_ab")).toBe("whsec_…");
  });
});

describe("collectSecrets", () => {
  it("prefers flags, and falls back to HOOKCTL_SECRET split on spaces", async () => {
    const { ctx } = testContext({ env: { HOOKCTL_SECRET: "one  two" } });
    expect(await collectSecrets({}, ctx)).toEqual(["one", "two"]);
    expect(await collectSecrets({ secret: ["flag"] }, ctx)).toEqual(["flag"]);
  });
});
