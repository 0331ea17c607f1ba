import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorReport } from "../../src/contract/schema/common.js";
import { verifyResult } from "../../src/contract/schema/verify.js";
import { sign } from "../../src/signing/index.js";
import { runCli } from "../helpers/context.js";
import { shaped } from "../helpers/contract.js";
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

  it("prints the documented JSON with --json: ISO time, the header's value as sent", async () => {
    const headers = flags(headersOf("standard", [whsecA], T - 5));
    const valid = await runCli(["verify", "--json", "--data", body, "--secret", whsecA, ...headers], { now });
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toEqual({
      valid: true,
      outcome: "valid",
      scheme: "standard",
      reason: null,
      code: null,
      secretIndex: 0,
      timestamp: new Date((T - 5) * 1000).toISOString(),
      timestampValue: String(T - 5),
      ageSeconds: 5,
    });
    const invalid = await runCli(["verify", "--json", "--data", "other", "--secret", whsecA, ...headers], {
      now,
    });
    expect(invalid.code).toBe(1);
    expect(shaped(verifyResult, JSON.parse(invalid.stdout))).toEqual({
      valid: false,
      outcome: "invalid",
      scheme: "standard",
      reason: "signature does not match any secret",
      code: null,
      secretIndex: null,
      timestamp: "2023-11-14T22:13:15.000Z",
      timestampValue: String(T - 5),
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

  it("a request missing a header its scheme signs is not authentic: exit 1, the reason names it", async () => {
    const { "webhook-id": _id, ...rest } = headersOf("standard", [whsecA]);
    for (const scheme of [[], ["--scheme", "standard"]]) {
      const result = await runCli(["verify", "--data", body, "--secret", whsecA, ...scheme, ...flags(rest)], {
        now,
      });
      expect(result).toEqual({
        code: 1,
        stdout: "invalid: no webhook-id header (standard signs id.timestamp.body)\n",
        stderr: "",
      });
    }
    const named = await runCli(
      ["verify", "--data", body, "--secret", "k", "--scheme", "stripe", "-H", "Content-Type: text/plain"],
      { now },
    );
    expect(named).toEqual({ code: 1, stdout: "invalid: no Stripe-Signature header\n", stderr: "" });
  });

  it("--scheme svix reads the webhook-* names Svix also sends", async () => {
    const svix = sign({
      scheme: "svix",
      body: Buffer.from(body),
      secrets: [whsecA],
      id: "msg_1",
      timestamp: T,
    });
    const renamed = Object.fromEntries(
      Object.entries(svix.headers).map(([name, value]) => [name.replace("svix-", "webhook-"), value]),
    );
    const result = await runCli(
      ["verify", "--data", body, "--secret", whsecA, "--scheme", "svix", ...flags(renamed)],
      { now },
    );
    expect(result).toEqual({
      code: 0,
      stdout: "valid: svix signature, secret #1, timestamp 0s old\n",
      stderr: "",
    });
  });

  it("a GitHub request carrying only the legacy SHA-1 X-Hub-Signature is invalid (exit 1)", async () => {
    for (const scheme of [[], ["--scheme", "github"]]) {
      const result = await runCli([
        "verify",
        "--data",
        body,
        "--secret",
        "k",
        ...scheme,
        "-H",
        `X-Hub-Signature: sha1=${"a".repeat(40)}`,
      ]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(
        "invalid: only the legacy SHA-1 X-Hub-Signature header; GitHub's libraries verify only X-Hub-Signature-256\n",
      );
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

describe("hookctl verify --json: one result object in every case", () => {
  const headers = flags(headersOf("standard", [whsecA]));
  const couldNot = (reason: RegExp | string, code: string, scheme: string | null = null) => ({
    valid: false,
    outcome: "unverifiable",
    scheme,
    reason: typeof reason === "string" ? reason : expect.stringMatching(reason),
    code,
    secretIndex: null,
    timestamp: null,
    timestampValue: null,
    ageSeconds: null,
  });

  const cases: [string, string[], ReturnType<typeof couldNot>, { cwd?: string; stdin?: string }?][] = [
    ["no secret", ["--data", body, ...headers], couldNot("no secret to verify with", "no-secret")],
    [
      "no signature header (auto)",
      ["--data", body, "--secret", "k", "-H", "Content-Type: text/plain"],
      couldNot(/^no signature header found \(saw content-type;/, "no-signature"),
    ],
    [
      "several schemes' headers",
      ["--data", body, "--secret", "k", "-H", "X-Signature: ab", "-H", "Stripe-Signature: t=1,v1=ab"],
      couldNot(/^several signature headers present/, "ambiguous"),
    ],
    [
      "a secret the scheme cannot use",
      ["--data", body, "--secret", "not base64!", "--scheme", "standard", ...headers],
      couldNot("secret #1 is not a whsec_ secret (whsec_ followed by base64)", "bad-secret", "standard"),
    ],
    [
      "an unreadable payload file",
      ["missing.json", "--secret", whsecA, ...headers],
      couldNot("cannot read payload file missing.json (ENOENT)", "bad-input"),
      { cwd: tempDir() },
    ],
    [
      "an unreadable headers file, with the scheme named",
      ["--data", body, "--secret", whsecA, "--scheme", "standard", "--headers-file", "nope.txt"],
      couldNot("cannot read headers file nope.txt (ENOENT)", "bad-input", "standard"),
      { cwd: tempDir() },
    ],
    [
      "a --signature whose scheme cannot be told",
      ["--data", body, "--secret", "k", "--signature", "what"],
      couldNot("cannot tell the scheme from --signature's value", "ambiguous"),
    ],
  ];
  for (const [name, args, expected, options] of cases) {
    it(`${name}: exit 2, the object on stdout, the error report on stderr`, async () => {
      const result = await runCli(["verify", "--json", ...args], { now, ...options });
      expect(result.code).toBe(2);
      expect(result.stdout.trimEnd().split("\n")).toHaveLength(1);
      const printed = shaped(verifyResult, JSON.parse(result.stdout));
      expect(printed).toEqual(expected);
      expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(shaped(errorReport, JSON.parse(result.stderr))).toMatchObject({
        error: { message: printed.reason, exitCode: 2 },
      });
    });
  }

  it("a flag commander rejects has no result object (flags never parsed)", async () => {
    const result = await runCli(["verify", "--json", "--data", body, "--secret", "k", "--tolerance", "soon"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
  });
});
