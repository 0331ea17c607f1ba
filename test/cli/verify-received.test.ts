import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifyResult } from "../../src/contract/schema/verify.js";
import { sign } from "../../src/signing/index.js";
import { capturedRequest, logWith } from "../helpers/captured.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";
import { emptyLog } from "../helpers/empty-log.js";
import { tempDir } from "../helpers/tmp.js";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const signedAt = 1_700_000_000;
const json = Buffer.from('{"type":"order.created","total":12345678901234567890}');
const binary = Buffer.from([0xff, 0x00, 0x1b, 0x80]);

function capture(id: string, body: Buffer, headers: [string, string][], receivedAt = (signedAt + 2) * 1000) {
  return capturedRequest({ id, body, headers, receivedAt, path: "/hooks" });
}

function standardPairs(body: Buffer, timestamp = signedAt): [string, string][] {
  const { headers } = sign({ scheme: "standard", body, secrets: [secret], id: "msg_1", timestamp });
  return [["Content-Type", "application/json"], ...(Object.entries(headers) as [string, string][])];
}

const good = capture("rcv_01JD00000000000000000AAAAAA1", json, standardPairs(json));
const tampered = capture(
  "rcv_01JD00000000000000000BBBBBB2",
  Buffer.from('{"type":"x"}'),
  standardPairs(json),
);
const bytes = capture("rcv_01JD00000000000000000CCCCCC3", binary, standardPairs(binary));
const repeated = capture("rcv_01JD00000000000000000DDDDDD4", json, [
  ...standardPairs(json).filter(([name]) => name !== "webhook-signature"),
  ["webhook-signature", `v1,${Buffer.alloc(32).toString("base64")}`],
  ["webhook-signature", standardPairs(json).find(([name]) => name === "webhook-signature")?.[1] as string],
]);

describe("hookctl verify --received", () => {
  it("re-verifies a captured request from the log by its full id or a unique suffix", async () => {
    const db = logWith(good, tampered, bytes, repeated);
    for (const id of [good.id, "AAAAA1", "aaaaa1"]) {
      const result = await runCli(["--db", db, "verify", "--received", id, "--secret", secret]);
      expect(result).toEqual({
        code: 0,
        stdout: "valid: standard signature, secret #1, timestamp 2s old\n",
        stderr: "",
      });
    }
  });

  it("judges the timestamp when the request arrived; --now and --tolerance still apply", async () => {
    const late = capture(
      "rcv_01JD00000000000000000EEEEEE5",
      json,
      standardPairs(json),
      (signedAt + 3600) * 1000,
    );
    const db = logWith(late);
    const base = ["--db", db, "verify", "--received", "EEEEE5", "--secret", secret];
    expect((await runCli(base)).stdout).toBe("invalid: timestamp 3600s old (tolerance 300s)\n");
    expect((await runCli([...base, "--now", String(signedAt + 10)])).code).toBe(0);
    expect((await runCli([...base, "--tolerance", "2h"])).code).toBe(0);
  });

  it("exit 1 for a capture whose body does not match its signature; bytes are checked as stored", async () => {
    const db = logWith(good, tampered, bytes);
    const forged = await runCli(["--db", db, "verify", "--received", "BBBBB2", "--secret", secret, "--json"]);
    expect(forged.code).toBe(1);
    expect(shaped(verifyResult, JSON.parse(forged.stdout))).toMatchObject({
      outcome: "invalid",
      reason: "signature does not match any secret",
      timestamp: new Date(signedAt * 1000).toISOString(),
      timestampValue: String(signedAt),
    });
    const binaryBody = await runCli(["--db", db, "verify", "--received", "CCCCC3", "--secret", secret]);
    expect(binaryBody.code).toBe(0);
  });

  it("keeps repeated headers: a second webhook-signature is checked too", async () => {
    const db = logWith(repeated);
    expect((await runCli(["--db", db, "verify", "--received", "DDDDD4", "--secret", secret])).code).toBe(0);
  });

  it("applies --scheme: naming another scheme makes the capture not authentic", async () => {
    const db = logWith(good);
    const result = await runCli([
      "--db",
      db,
      "verify",
      "--received",
      "AAAAA1",
      "--secret",
      secret,
      "--scheme",
      "stripe",
    ]);
    expect(result).toEqual({ code: 1, stdout: "invalid: no Stripe-Signature header\n", stderr: "" });
  });

  describe("could not check: one line on stderr, exit 2 (with --json, the result object too)", () => {
    const expectOneLine = (result: { code: number; stdout: string; stderr: string }, message: RegExp) => {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    };

    it("an unknown id, and one too short to be a suffix", async () => {
      const db = logWith(good);
      expectOneLine(
        await runCli(["--db", db, "verify", "--received", "ZZZZZZZ", "--secret", secret]),
        /^hookctl: no captured request "ZZZZZZZ" in the log — list them with hookctl log received\n$/,
      );
      expectOneLine(
        await runCli(["--db", db, "verify", "--received", "A1", "--secret", secret]),
        /no captured request "A1" in the log — give the full id or at least its last 6 characters/,
      );
    });

    it("an ambiguous suffix lists the candidates", async () => {
      const db = logWith(
        capture("rcv_01JD000000000000000000SAME01", json, standardPairs(json)),
        capture("rcv_01JD000000000000000001SAME01", json, standardPairs(json)),
      );
      const args = ["--db", db, "verify", "--received", "SAME01", "--secret", secret];
      expectOneLine(
        await runCli(args),
        /"SAME01" matches several captured requests: rcv_01JD000000000000000001SAME01, rcv_01JD000000000000000000SAME01 — give more characters/,
      );
      const asJson = await runCli([...args, "--json"]);
      expect(asJson.code).toBe(2);
      expect(shaped(verifyResult, JSON.parse(asJson.stdout))).toMatchObject({
        outcome: "unverifiable",
        code: "bad-input",
        reason: expect.stringMatching(/^"SAME01" matches several captured requests: /),
      });
    });

    it("no log at the path: named, and nothing is created", async () => {
      const path = join(tempDir(), "typo", "hookctl.db");
      expectOneLine(
        await runCli(["--db", path, "verify", "--received", "AAAAA1", "--secret", secret]),
        new RegExp(`^hookctl: no delivery log at ${path} — `),
      );
      expect(existsSync(join(path, ".."))).toBe(false);
    });

    it("a file that is not a log", async () => {
      const path = join(tempDir(), "notes.db");
      writeFileSync(
        path,
        "this is not SQLite, just text that is long enough to have a header page\n".repeat(20),
      );
      expectOneLine(
        await runCli(["--db", path, "verify", "--received", "AAAAA1", "--secret", secret]),
        /^hookctl: .*notes\.db.* — /,
      );
    });

    it("an empty log", async () => {
      expectOneLine(
        await runCli(["--db", emptyLog(), "verify", "--received", "AAAAA1", "--secret", secret]),
        /no captured request "AAAAA1" in the log/,
      );
    });

    it("--received with a payload, -H, --headers-file, --signature or --batch", async () => {
      const db = logWith(good);
      for (const extra of [
        ["body.json"],
        ["--data", "x"],
        ["-H", "X-Signature: ab"],
        ["--headers-file", "h.txt"],
        ["--signature", "ab"],
      ]) {
        expectOneLine(
          await runCli(["--db", db, "verify", "--received", "AAAAA1", "--secret", secret, ...extra]),
          /^hookctl: --received takes the headers and body from the log — drop the payload/,
        );
      }
      expectOneLine(
        await runCli(["--db", db, "verify", "--batch", "--received", "AAAAA1", "--secret", secret], {
          stdin: "",
        }),
        /^hookctl: --batch reads NDJSON from stdin — drop the file, --data and --received/,
      );
    });

    it("no secret", async () => {
      expectOneLine(
        await runCli(["--db", logWith(good), "verify", "--received", "AAAAA1"]),
        /^hookctl: no secret to verify with/,
      );
    });
  });
});
