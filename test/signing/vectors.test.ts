import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type SchemeName, sign, verify } from "../../src/signing/index.js";

interface Vector {
  name: string;
  source: string;
  scheme: SchemeName;
  secrets: string[];
  id: string | null;
  timestamp: number | null;
  body: string;
  /** What sign must print as the signature header's value, byte for byte. */
  signature: string;
  /** The headers as published, which verify must accept. */
  headers: Record<string, string>;
  now: number;
}

const dir = new URL("../../fixtures/vectors/", import.meta.url);
const vectors: Vector[] = readdirSync(dir)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => JSON.parse(readFileSync(new URL(name, dir), "utf8")) as Vector);

describe("published signature vectors", () => {
  it("has the four published examples the issue names", () => {
    expect(vectors.map((vector) => vector.scheme).sort()).toEqual(["github", "slack", "standard", "svix"]);
  });

  for (const vector of vectors) {
    describe(vector.name, () => {
      const body = Buffer.from(vector.body, "utf8");

      it("sign reproduces the published signature byte for byte", () => {
        const result = sign({
          scheme: vector.scheme,
          body,
          secrets: vector.secrets,
          id: vector.id ?? "unused",
          timestamp: vector.timestamp ?? 0,
        });
        expect(result.headers[result.signatureHeader]).toBe(vector.signature);
        for (const [name, value] of Object.entries(vector.headers)) {
          // Every published header that is not the (possibly multi-valued) signature matches too.
          if (name.toLowerCase() !== result.signatureHeader.toLowerCase())
            expect(result.headers[name]).toBe(value);
        }
      });

      it("verify accepts the published headers, picking the scheme itself", () => {
        const result = verify({
          scheme: "auto",
          body,
          headers: vector.headers,
          secrets: vector.secrets,
          toleranceSeconds: 300,
          nowSeconds: vector.now,
        });
        expect(result).toMatchObject({ outcome: "valid", scheme: vector.scheme, secretIndex: 0 });
      });

      it("verify rejects the published headers with one body byte changed", () => {
        const tampered = Buffer.from(body);
        tampered[0] = (tampered[0] as number) ^ 1;
        const result = verify({
          scheme: vector.scheme,
          body: tampered,
          headers: vector.headers,
          secrets: vector.secrets,
          toleranceSeconds: 300,
          nowSeconds: vector.now,
        });
        expect(result).toMatchObject({ outcome: "invalid", reason: "signature does not match any secret" });
      });
    });
  }
});
