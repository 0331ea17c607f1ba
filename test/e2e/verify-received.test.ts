import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { verifyResult } from "../../src/contract/schema/verify.js";
import { sign } from "../../src/signing/index.js";
import { runBin } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { listenBin } from "../helpers/listen-bin.js";
import { tempDir } from "../helpers/tmp.js";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("e2e: a request listen captured, checked again from the log (built binary)", () => {
  it("verify --received <suffix> and verify --headers-file <log received show --json> agree", async () => {
    const dir = tempDir();
    const db = join(dir, "listen.db");
    // Without a secret listen captures everything unverified: the check happens afterwards.
    const listener = await listenBin(db);
    try {
      const url = listener.url;
      const body = Buffer.from('{"type":"invoice.paid","amount":12345678901234567890}');
      const timestamp = Math.floor(Date.now() / 1000);
      const { headers } = sign({ scheme: "svix", body, secrets: [secret], id: "msg_e2e", timestamp });
      for (const payload of [body, Buffer.from('{"type":"forged"}')]) {
        const response = await request(url, { method: "POST", body: payload, headers, reset: true });
        await response.body.dump();
      }
      expect(await listener.stop()).toBe(130);

      const listed = await runBin(["--db", db, "log", "received", "--json"]);
      const [forged, genuine] = listed.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).id as string);
      const suffix = (id: string) => id.slice(-8);

      const ok = await runBin([
        "--db",
        db,
        "verify",
        "--received",
        suffix(genuine as string),
        "--secret",
        secret,
        "--json",
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(shaped(verifyResult, JSON.parse(ok.stdout))).toMatchObject({
        outcome: "valid",
        scheme: "svix",
        timestampValue: String(timestamp),
      });
      const bad = await runBin(["--db", db, "verify", "--received", forged as string, "--secret", secret]);
      expect(bad).toMatchObject({ code: 1, stdout: "invalid: signature does not match any secret\n" });

      const shown = await runBin([
        "--db",
        db,
        "log",
        "received",
        "show",
        suffix(genuine as string),
        "--json",
      ]);
      writeFileSync(join(dir, "request.json"), shown.stdout);
      const fromFile = await runBin(["verify", "--headers-file", "request.json", "--secret", secret], {
        cwd: dir,
      });
      expect(fromFile).toMatchObject({ code: 0, stderr: "" });
      expect(fromFile.stdout).toMatch(/^valid: svix signature, secret #1, timestamp \d+s old\n$/);
    } finally {
      listener.kill();
    }
  });
});
