import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { schemeNames, sign, verify } from "../../src/signing/index.js";
import { secretFor } from "./support.js";

const schemeArb = fc.constantFrom(...schemeNames);
const secretsArb = (scheme: (typeof schemeNames)[number]) =>
  fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 })
    .map((seeds) => seeds.map((seed) => secretFor(scheme, seed)));
const inputArb = schemeArb.chain((scheme) =>
  fc.record({
    scheme: fc.constant(scheme),
    body: fc.uint8Array({ maxLength: 2048 }),
    secrets: secretsArb(scheme),
    id: fc.string({ minLength: 1, maxLength: 40 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
    skew: fc.integer({ min: -300, max: 300 }),
  }),
);

describe("sign -> verify properties", () => {
  it("whatever is signed verifies, with the first secret, within the tolerance", () => {
    fc.assert(
      fc.property(inputArb, ({ scheme, body, secrets, id, timestamp, skew }) => {
        const { headers } = sign({ scheme, body, secrets, id, timestamp });
        const result = verify({
          scheme: "auto",
          body,
          headers,
          secrets,
          toleranceSeconds: 300,
          nowSeconds: timestamp + skew,
        });
        expect(result).toMatchObject({ outcome: "valid", scheme, secretIndex: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it("flipping any one bit of the body makes it not authentic", () => {
    fc.assert(
      fc.property(
        inputArb.filter((input) => input.body.length > 0),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        ({ scheme, body, secrets, id, timestamp }, at, bit) => {
          const { headers } = sign({ scheme, body, secrets, id, timestamp });
          const tampered = Uint8Array.from(body);
          const index = at % tampered.length;
          tampered[index] = (tampered[index] as number) ^ (1 << bit);
          const result = verify({
            scheme,
            body: tampered,
            headers,
            secrets,
            toleranceSeconds: 0,
            nowSeconds: timestamp,
          });
          expect(result).toMatchObject({ outcome: "invalid", reason: "signature does not match any secret" });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a secret that did not sign never verifies", () => {
    fc.assert(
      fc.property(inputArb, fc.string({ minLength: 13, maxLength: 20 }), (input, other) => {
        const { headers } = sign(input);
        const stranger = secretFor(input.scheme, other);
        fc.pre(!input.secrets.includes(stranger));
        const result = verify({
          scheme: input.scheme,
          body: input.body,
          headers,
          secrets: [stranger],
          toleranceSeconds: 0,
          nowSeconds: input.timestamp,
        });
        expect(result.outcome).toBe("invalid");
      }),
      { numRuns: 200 },
    );
  });
});
