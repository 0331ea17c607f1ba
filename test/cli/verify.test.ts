import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sign } from "../../src/signing/index.js";
import { runCli } from "../helpers/context.js";
import { tempDir } from "../helpers/tmp.js";

const T = 1_700_000_000;
const now = () => T * 1000;
const body = '{"type":"order.created"}';
const whsecA = "whsec_c2VjcmV0LWEtMTIzNDU2Nzg5MA==";
const whsecB = "whsec_c2VjcmV0LWItMTIzNDU2Nzg5MA==";

function headersOf(scheme: "hookctl" | "standard" | "stripe", secrets: string[], timestamp = T, data = body) {
  return sign({ scheme, body: Buffer.from(data), secrets, id: "msg_1", timestamp }).headers;
}
const flags = (headers: Record<string, string>) =>
  Object.entries(headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]);

function expectUsageError(result: { code: number; stdout: string; stderr: string }, message: RegExp) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\bat .*:\d+:\d+/);
}

describe("hookctl verify", () => {
  it("exit 0 and one line for a valid signature, naming the secret and the age", async () => {
    const headers = headersOf("standard", [whsecB], T - 12);
    const result = await runCli(
      ["verify", "--data", body, "--secret", whsecA, "--secret", whsecB, ...flags(headers)],
      { now },
    );
    expect(result).toEqual({
      code: 0,
      stdout: "valid: standard signature, secret #2, timestamp 12s old\n",
      stderr: "",
    });
  });

  it("says nothing about a timestamp for schemes that do not sign one", async () => {
    const result = await runCli(
      ["verify", "--data", body, "--secret", "k", ...flags(headersOf("hookctl", ["k"]))],
      { now },
    );
    expect(result.stdout).toBe("valid: hookctl signature, secret #1\n");
  });

  it("exit 1 when no secret matches", async () => {
    const result = await runCli(
      ["verify", "--data", body, "--secret", whsecB, ...flags(headersOf("standard", [whsecA]))],
      { now },
    );
    expect(result).toEqual({ code: 1, stdout: "invalid: signature does not match any secret\n", stderr: "" });
  });

  it("exit 1 for a stale or future timestamp; --tolerance widens or disables the window", async () => {
    const old = flags(headersOf("standard", [whsecA], T - 3600));
    const base = ["verify", "--data", body, "--secret", whsecA];
    expect((await runCli([...base, ...old], { now })).stdout).toBe(
      "invalid: timestamp 3600s old (tolerance 300s)\n",
    );
    const future = flags(headersOf("standard", [whsecA], T + 400));
    const ahead = await runCli([...base, ...future], { now });
    expect(ahead).toMatchObject({
      code: 1,
      stdout: "invalid: timestamp 400s in the future (tolerance 300s)\n",
    });
    expect((await runCli([...base, ...old, "--tolerance", "2h"], { now })).code).toBe(0);
    expect((await runCli([...base, ...old, "--tolerance", "0"], { now })).code).toBe(0);
    expect((await runCli([...base, ...old, "--tolerance", "59m"], { now })).code).toBe(1);
  });

  it("--now judges timestamps at a given instant", async () => {
    const headers = flags(headersOf("standard", [whsecA], 1000));
    const result = await runCli(["verify", "--data", body, "--secret", whsecA, ...headers, "--now", "1030"]);
    expect(result.stdout).toBe("valid: standard signature, secret #1, timestamp 30s old\n");
  });

  it("exit 1 for a malformed signature value", async () => {
    const headers = { ...headersOf("standard", [whsecA]), "webhook-signature": "v1,!!" };
    const result = await runCli(["verify", "--data", body, "--secret", whsecA, ...flags(headers)], { now });
    expect(result).toEqual({ code: 1, stdout: "invalid: malformed webhook-signature header\n", stderr: "" });
  });

  it("prints the documented JSON with --json", async () => {
    const headers = flags(headersOf("standard", [whsecA], T - 5));
    const valid = await runCli(["verify", "--json", "--data", body, "--secret", whsecA, ...headers], { now });
    expect(JSON.parse(valid.stdout)).toEqual({
      valid: true,
      scheme: "standard",
      reason: null,
      secretIndex: 0,
      timestamp: T - 5,
      ageSeconds: 5,
    });
    const invalid = await runCli(["verify", "--json", "--data", "other", "--secret", whsecA, ...headers], {
      now,
    });
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toEqual({
      valid: false,
      scheme: "standard",
      reason: "signature does not match any secret",
      secretIndex: null,
      timestamp: T - 5,
      ageSeconds: 5,
    });
  });

  it("--quiet prints nothing and keeps the exit code", async () => {
    const headers = flags(headersOf("hookctl", ["k"]));
    expect(await runCli(["-q", "verify", "--data", body, "--secret", "k", ...headers])).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
    expect(await runCli(["verify", "--quiet", "--data", "x", "--secret", "k", ...headers])).toEqual({
      code: 1,
      stdout: "",
      stderr: "",
    });
  });

  it("matches header names in any case", async () => {
    const headers = Object.fromEntries(
      Object.entries(headersOf("standard", [whsecA])).map(([n, v]) => [n.toUpperCase(), v]),
    );
    expect(
      (await runCli(["verify", "--data", body, "--secret", whsecA, ...flags(headers)], { now })).code,
    ).toBe(0);
  });

  it("reads headers from a raw request dump or a JSON object (--headers-file), and the body from a file", async () => {
    const dir = tempDir();
    const headers = headersOf("stripe", ["whsec_stripe"]);
    writeFileSync(join(dir, "body.json"), body);
    writeFileSync(
      join(dir, "dump.txt"),
      `POST /hook HTTP/1.1\r\nHost: localhost\r\nstripe-signature: ${headers["Stripe-Signature"]}\r\n\r\n${body}`,
    );
    writeFileSync(join(dir, "headers.json"), JSON.stringify(headers));
    for (const file of ["dump.txt", "headers.json"]) {
      const result = await runCli(
        ["verify", "body.json", "--headers-file", file, "--secret", "whsec_stripe"],
        { cwd: dir, now },
      );
      expect(result).toMatchObject({
        code: 0,
        stdout: "valid: stripe signature, secret #1, timestamp 0s old\n",
      });
    }
  });

  it("reads the body from stdin", async () => {
    const headers = flags(headersOf("hookctl", ["k"]));
    expect((await runCli(["verify", "--secret", "k", ...headers], { stdin: body })).code).toBe(0);
    expect((await runCli(["verify", "-", "--secret", "k", ...headers], { stdin: body })).code).toBe(0);
  });

  it("--signature alone: the scheme comes from --scheme or from the value's shape", async () => {
    const stripe = headersOf("stripe", ["whsec_s"])["Stripe-Signature"] as string;
    const auto = await runCli(["verify", "--data", body, "--secret", "whsec_s", "--signature", stripe], {
      now,
    });
    expect(auto.stdout).toBe("valid: stripe signature, secret #1, timestamp 0s old\n");
    const hookctl = headersOf("hookctl", ["k"])["X-Signature"] as string;
    const named = await runCli([
      "verify",
      "--data",
      body,
      "--secret",
      "k",
      "--scheme",
      "github",
      "--signature",
      `sha256=${hookctl}`,
    ]);
    expect(named.stdout).toBe("valid: github signature, secret #1\n");
  });

  it("--help documents the flags with examples", async () => {
    const result = await runCli(["verify", "--help"]);
    for (const text of [
      "-H, --header",
      "--headers-file",
      "--signature",
      "--scheme",
      "--tolerance",
      "--now",
      "--batch",
      "Examples:",
    ]) {
      expect(result.stdout).toContain(text);
    }
  });

  describe("could not check: one line on stderr, exit 2", () => {
    const headers = flags(headersOf("standard", [whsecA]));
    it("no secret", async () => {
      expectUsageError(
        await runCli(["verify", "--data", body, ...headers]),
        /^hookctl: no secret to verify with — pass --secret/,
      );
    });
    it("no signature header: says what it saw and what it expected", async () => {
      expectUsageError(
        await runCli(["verify", "--data", body, "--secret", "k", "-H", "Content-Type: application/json"]),
        /no signature header found \(saw content-type; expected one of X-Signature, webhook-signature.*\) — pass the received headers/,
      );
    });
    it("several schemes' headers with --scheme auto", async () => {
      expectUsageError(
        await runCli([
          "verify",
          "--data",
          body,
          "--secret",
          "k",
          "-H",
          "X-Signature: ab",
          "-H",
          "Stripe-Signature: t=1,v1=ab",
        ]),
        /several signature headers present: X-Signature \(hookctl\), Stripe-Signature \(stripe\).* — pass --scheme\n$/,
      );
    });
    it("a missing webhook-id", async () => {
      const { "webhook-id": _id, ...rest } = headersOf("standard", [whsecA]);
      expectUsageError(
        await runCli(["verify", "--data", body, "--secret", whsecA, ...flags(rest)]),
        /no webhook-id header \(standard signs id\.timestamp\.body\) — add it with -H/,
      );
    });
    it("an unknown scheme", async () => {
      expectUsageError(
        await runCli(["verify", "--data", body, "--secret", "k", "--scheme", "paypal", ...headers]),
        /paypal/,
      );
    });
    it("an unreadable headers file", async () => {
      expectUsageError(
        await runCli(["verify", "--data", body, "--secret", "k", "--headers-file", "missing.txt"], {
          cwd: tempDir(),
        }),
        /cannot read headers file missing.txt/,
      );
    });
    it("a bad -H", async () => {
      expectUsageError(
        await runCli(["verify", "--data", body, "--secret", "k", "-H", "no colon"]),
        /bad header/,
      );
    });
    it("a --signature whose scheme cannot be told", async () => {
      expectUsageError(
        await runCli(["verify", "--data", body, "--secret", "k", "--signature", "what"]),
        /pass --scheme/,
      );
    });
    it("a bad --tolerance", async () => {
      expectUsageError(
        await runCli(["verify", "--data", body, "--secret", "k", "--tolerance", "soon", ...headers]),
        /--tolerance/,
      );
    });
  });
});

describe("hookctl verify --batch", () => {
  const line = (
    scheme: "standard" | "hookctl",
    data: string,
    secrets: string[],
    extra: Record<string, unknown> = {},
  ) => JSON.stringify({ headers: headersOf(scheme, secrets, T, data), body: data, ...extra });

  it("prints one result per line, in order, and exits 0 when all are valid", async () => {
    const input = [
      line("standard", "a", [whsecA]),
      "",
      line("standard", "b", [whsecB], { id: "req-2" }),
    ].join("\n");
    const result = await runCli(["verify", "--batch", "--secret", whsecA, "--secret", whsecB], {
      stdin: `${input}\n`,
      now,
    });
    expect(result.code).toBe(0);
    const results = result.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text));
    expect(results).toEqual([
      {
        line: 1,
        outcome: "valid",
        valid: true,
        scheme: "standard",
        reason: null,
        secretIndex: 0,
        timestamp: T,
        ageSeconds: 0,
      },
      {
        line: 3,
        id: "req-2",
        outcome: "valid",
        valid: true,
        scheme: "standard",
        reason: null,
        secretIndex: 1,
        timestamp: T,
        ageSeconds: 0,
      },
    ]);
  });

  it("turns bad lines into error results, not a crash, and exits 1", async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x80]);
    const signedBytes = sign({
      scheme: "hookctl",
      body: bytes,
      secrets: ["k"],
      id: "d",
      timestamp: T,
    }).headers;
    const input = [
      "{not json",
      JSON.stringify({ headers: signedBytes, bodyBase64: bytes.toString("base64") }),
      JSON.stringify([1, 2]),
      JSON.stringify({ headers: signedBytes }),
      JSON.stringify({ headers: { "Content-Type": "text/plain" }, body: "x" }),
      JSON.stringify({ headers: signedBytes, body: "tampered" }),
      JSON.stringify({ headers: "X-Signature: ab", body: "x" }),
    ].join("\r\n");
    const result = await runCli(["verify", "--batch", "--secret", "k"], { stdin: input, now });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    const results = result.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text));
    expect(results.map((r) => [r.line, r.outcome, r.valid])).toEqual([
      [1, "error", false],
      [2, "valid", true],
      [3, "error", false],
      [4, "error", false],
      [5, "error", false],
      [6, "invalid", false],
      [7, "error", false],
    ]);
    expect(results[0].reason).toBe("line is not valid JSON");
    expect(results[3].reason).toBe('missing "body" (a string) or "bodyBase64"');
    expect(results[4].reason).toMatch(/^no signature header found/);
    expect(results[5].reason).toBe("signature does not match any secret");
  });

  it("applies --scheme, --tolerance and --now to every line", async () => {
    const input = line("standard", "a", [whsecA]);
    const stale = await runCli(["verify", "--batch", "--secret", whsecA, "--now", String(T + 301)], {
      stdin: input,
    });
    expect(JSON.parse(stale.stdout)).toMatchObject({
      outcome: "invalid",
      reason: "timestamp 301s old (tolerance 300s)",
    });
    const wide = await runCli(
      ["verify", "--batch", "--secret", whsecA, "--now", String(T + 301), "--tolerance", "10m"],
      { stdin: input },
    );
    expect(wide.code).toBe(0);
    const wrongScheme = await runCli(["verify", "--batch", "--scheme", "github", "--secret", whsecA], {
      stdin: input,
      now,
    });
    expect(JSON.parse(wrongScheme.stdout)).toMatchObject({
      outcome: "error",
      reason: "no X-Hub-Signature-256 header",
    });
  });

  it("refuses flags that make no sense with --batch (exit 2)", async () => {
    for (const args of [["--data", "x"], ["body.json"], ["-H", "X-Signature: ab"], ["--signature", "ab"]]) {
      expectUsageError(
        await runCli(["verify", "--batch", "--secret", "k", ...args], { stdin: "" }),
        /--batch/,
      );
    }
    expectUsageError(await runCli(["verify", "--batch"], { stdin: "{}" }), /no secret/);
  });
});
