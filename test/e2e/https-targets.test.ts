import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { delivery } from "../../src/contract/schema/delivery.js";
import { endpointAdded } from "../../src/contract/schema/endpoint.js";
import { runBin } from "../helpers/bin.js";
import { shaped } from "../helpers/contract.js";
import { type HttpsTarget, httpsTarget, selfSignedCert } from "../helpers/tls.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

let pem: { certPath: string; cert: string; key: string };
let target: HttpsTarget | undefined;
beforeAll(() => {
  // Not tempDir(): that one is removed after each test, and every test here reads the cert file.
  const dir = mkdtempSync(join(tmpdir(), "hookctl-tls-"));
  pem = selfSignedCert(dir);
  return () => rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await target?.close();
  target = undefined;
});

async function logJson(db: string) {
  const log = await runBin(["log", "--json"], { env: { HOOKCTL_DB: db } });
  return shaped(delivery, JSON.parse(log.stdout.trim().split("\n")[0] ?? ""));
}

describe("HTTPS targets with a self-signed certificate (built binary)", () => {
  it("fail verification without flags: exit 1, a TLS error with its reason", async () => {
    target = await httpsTarget(pem);
    const db = tempDb();
    const sent = await runBin(["send", target.url], { env: { HOOKCTL_DB: db } });
    expect(sent.code).toBe(1);
    expect(sent.stdout).toMatch(/^✗ tls /);
    expect(sent.stderr).toMatch(/hint: 127\.0\.0\.1:\d+: self.signed certificate .*— pass --ca <file>/);
    expect(target.answered).toEqual([]);
    expect(await logJson(db)).toMatchObject({
      tls: { insecure: false, ca: false },
      lastAttempt: { errorClass: "tls", error: expect.stringMatching(/self.signed certificate/i) },
    });
  });

  it("--ca trusts the certificate; --insecure skips the check with a warning", async () => {
    target = await httpsTarget(pem);
    const db = tempDb();
    const withCa = await runBin(["send", target.url, "--ca", pem.certPath, "-q"], {
      env: { HOOKCTL_DB: db },
    });
    expect(withCa.stderr).toBe("");
    expect(withCa.code).toBe(0);
    expect(await logJson(db)).toMatchObject({ status: "succeeded", tls: { insecure: false, ca: true } });

    const insecure = await runBin(["send", target.url, "--insecure", "--secret", "s3cret"], {
      env: { HOOKCTL_DB: db },
    });
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toMatch(
      /^warning: --insecure: the certificate of 127\.0\.0\.1:\d+ is not verified\n$/,
    );
    expect(await logJson(db)).toMatchObject({ status: "succeeded", tls: { insecure: true, ca: false } });
    expect(target.answered).toEqual([200, 200]);
  });

  it("a later bare replay connects with the stored CA, after the file has moved", async () => {
    target = await httpsTarget(pem, [503, 200]);
    const db = tempDb();
    const dir = tempDir();
    const caPath = join(dir, "ca.pem");
    writeFileSync(caPath, pem.cert);
    const sent = await runBin(["send", target.url, "--ca", caPath, "--initial", "1ms", "--jitter", "0"], {
      env: { HOOKCTL_DB: db },
    });
    expect(sent.code).toBe(1);
    renameSync(caPath, join(dir, "moved.pem"));
    const replay = await runBin(["replay"], { env: { HOOKCTL_DB: db } });
    expect(replay.code).toBe(0);
    expect(target.answered).toEqual([503, 200]);
    const shown = await runBin(["log", "show", (await logJson(db)).id], { env: { HOOKCTL_DB: db } });
    expect(shown.stdout).toMatch(/tls\s+verified against the stored CA \(--ca\)/);
    expect(shown.stdout).not.toContain("BEGIN CERTIFICATE");
  });

  it("an endpoint added with --ca verifies every delivery to it, replays included", async () => {
    target = await httpsTarget(pem, [503, 200]);
    const db = tempDb();
    const env = { HOOKCTL_DB: db };
    const added = await runBin(
      ["endpoint", "add", "local", "--url", target.url, "--ca", pem.certPath, "--json"],
      {
        env,
      },
    );
    expect(added.code).toBe(0);
    expect(shaped(endpointAdded, JSON.parse(added.stdout))).toMatchObject({
      tls: { insecure: false, ca: true },
    });
    const sent = await runBin(["send", "local", "--initial", "1ms", "--jitter", "0"], { env });
    expect(sent.code).toBe(1);
    expect(await logJson(db)).toMatchObject({ tls: { ca: true }, lastAttempt: { statusCode: 503 } });
    const replay = await runBin(["replay"], { env });
    expect(replay.code).toBe(0);
    expect(target.answered).toEqual([503, 200]);
  });

  it("replay --ca records a new setting for the requeued deliveries", async () => {
    target = await httpsTarget(pem);
    const db = tempDb();
    const env = { HOOKCTL_DB: db };
    expect((await runBin(["send", target.url], { env })).code).toBe(1);
    const { id } = await logJson(db);
    const replay = await runBin(["replay", id, "--ca", pem.certPath], { env });
    expect(replay.code).toBe(0);
    expect(await logJson(db)).toMatchObject({ status: "succeeded", tls: { ca: true } });
  });

  it("bad TLS flags are one line and exit 2", async () => {
    const db = tempDb();
    const dir = tempDir();
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "hello\n");
    const keyOnly = join(dir, "key.pem");
    writeFileSync(keyOnly, pem.key);
    const broken = join(dir, "broken.pem");
    writeFileSync(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const https = "https://127.0.0.1:9/hooks";
    const cases: [string[], RegExp][] = [
      [["send", https, "--ca", join(dir, "missing.pem")], /cannot read CA file .*missing\.pem \(ENOENT\)/],
      [["send", https, "--ca", notPem], /not\.pem holds no PEM certificate/],
      [["send", https, "--ca", keyOnly], /key\.pem holds no PEM certificate/],
      [["send", https, "--ca", broken], /certificate 1 is not valid PEM/],
      [["send", "http://127.0.0.1:9/", "--insecure"], /--insecure applies to https:\/\/ targets only/],
      [["send", https, "--insecure", "--ca", pem.certPath], /give --insecure or --ca, not both/],
      [
        ["endpoint", "add", "x", "--url", "http://127.0.0.1:9/", "--ca", pem.certPath],
        /--ca applies to https/,
      ],
      [["replay", "--insecure"], /apply to requeued deliveries/],
    ];
    for (const [args, message] of cases) {
      const result = await runBin(args, { env: { HOOKCTL_DB: db } });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
