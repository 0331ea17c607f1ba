import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { listenRequest } from "../../src/contract/schema/received.js";
import { mulberry32 } from "../../src/receiver/prng.js";
import { sign } from "../../src/signing/index.js";
import { openDb } from "../../src/store/open.js";
import { getReceived, listReceived } from "../../src/store/received.js";
import { waitFor } from "../helpers/bin.js";
import { runCli } from "../helpers/context.js";
import { headerValue, shapedLines } from "../helpers/contract.js";
import { tempDir } from "../helpers/tmp.js";

const body = Buffer.from('{"type":"order.created","id":"ord_1"}');

function hookctlHeaders(id: string, secret = "s3cret"): Record<string, string> {
  return sign({ scheme: "hookctl", body, secrets: [secret], id, timestamp: Math.floor(Date.now() / 1000) })
    .headers;
}

async function post(url: string, payload: Buffer | string, headers: Record<string, string>) {
  const response = await request(url, { method: "POST", body: payload, headers, reset: true });
  return { status: response.statusCode, text: await response.body.text() };
}

/** Run `hookctl listen` in-process until the test aborts it; returns its URL and the finished run. */
async function listen(args: string[]) {
  const dir = tempDir();
  const readyFile = join(dir, "url");
  const db = join(dir, "hookctl.db");
  const controller = new AbortController();
  const done = runCli(["--db", db, "listen", "--port", "0", "--ready-file", readyFile, ...args], {
    signal: controller.signal,
  });
  const url = await Promise.race([
    waitFor(
      () => (existsSync(readyFile) ? readFileSync(readyFile, "utf8").trim() : undefined),
      10_000,
      "ready file",
    ),
    done.then((result) => {
      throw new Error(`listen exited early: ${result.code} ${result.stderr}`);
    }),
  ]);
  return {
    url,
    db,
    stop: async () => {
      controller.abort();
      return done;
    },
  };
}

describe("hookctl listen", () => {
  it("verifies, injects, dedupes and captures; SIGINT prints the summary and exits 130", async () => {
    const run = await listen(["--secret", "s3cret", "--fail-first", "1", "--retry-after", "2"]);
    expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const headers = hookctlHeaders("dlv_cli_1");
    expect((await post(run.url, body, headers)).status).toBe(503);
    expect((await post(run.url, body, headers)).status).toBe(200);
    expect((await post(run.url, body, headers)).status).toBe(200);
    const forged = await post(run.url, body, { ...headers, "X-Signature": "00" });
    expect(forged).toEqual({ status: 401, text: "invalid signature: signature does not match any secret\n" });

    const result = await run.stop();
    expect(result.code).toBe(130);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}POST \/ {2}order\.created {2}dlv_cli_1 {2}✓ verified \(hookctl\) {2}37 B {2}→ 503 {2}injected fail-first 1\/1 503$/,
    );
    expect(lines[1]).toMatch(/→ 200$/);
    expect(lines[2]).toMatch(/→ 200 {2}duplicate$/);
    expect(lines[3]).toMatch(/✗ signature does not match any secret {2}37 B {2}→ 401$/);
    expect(result.stderr).toContain(`listening on ${run.url}`);
    expect(result.stderr).toContain("verifying signatures (scheme auto) with secret s…");
    expect(result.stderr).not.toContain("s3cret");
    expect(result.stderr).toContain(
      "summary: received 3, verified 2, rejected 1, duplicates 1, injected failures 1 (1 delivery accepted)",
    );
    const db = openDb(run.db);
    const rows = listReceived(db);
    expect(rows.map((row) => row.responseStatus)).toEqual([401, 200, 200, 503]);
    expect(getReceived(db, rows[3]?.id as string)?.body.equals(body)).toBe(true);
    db.close();
  });

  it("--json prints one object per request with the exact body (base64 when not UTF-8)", async () => {
    const run = await listen(["--json", "--no-store"]);
    const binary = Buffer.from([0xff, 0x00, 0x1b]);
    await post(run.url, body, { "X-Webhook-Delivery-ID": "dlv_j" });
    await post(run.url, binary, {});
    const result = await run.stop();
    expect(result.code).toBe(130);
    const [text, bytes] = shapedLines(listenRequest, result.stdout);
    expect(text).toMatchObject({
      id: null,
      method: "POST",
      deliveryId: "dlv_j",
      eventType: "order.created",
      verification: "unverified",
      statusCode: 200,
      attempt: 1,
      duplicate: false,
      size: body.length,
      body: body.toString(),
      bodyBase64: null,
      forward: null,
    });
    expect(headerValue(text?.headers ?? [], "X-Webhook-Delivery-ID")).toBe("dlv_j");
    expect(bytes).toMatchObject({ statusCode: 200, size: 3, body: null });
    expect(Buffer.from(bytes?.bodyBase64 as string, "base64").equals(binary)).toBe(true);
    expect(existsSync(run.db)).toBe(false);
  });

  it("--verbose shows headers and the pretty body with control characters escaped", async () => {
    const run = await listen(["-v", "--no-store"]);
    await post(run.url, '{"type":"x","note":"ok"}', { "X-Custom": "yes" });
    await post(run.url, "plain \u001b[31mred\u0007", {});
    const result = await run.stop();
    expect(result.stdout).toContain('    "type": "x",');
    expect(result.stdout).toContain("    X-Custom: yes");
    expect(result.stdout).toContain("    plain \\u001b[31mred\\u0007");
    expect(result.stdout).not.toContain("\u001b");
  });

  it("--fail-rate with --seed repeats exactly, and says which seed it used", async () => {
    const run = await listen(["--no-store", "--fail-rate", "0.5", "--seed", "7", "--fail-status", "500"]);
    const predict = mulberry32(7);
    const expected = Array.from({ length: 12 }, () => (predict() < 0.5 ? 500 : 200));
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await post(run.url, body, { "X-Webhook-Delivery-ID": `d${i}` })).status);
    const result = await run.stop();
    expect(statuses).toEqual(expected);
    expect(result.stderr).toContain("fail-rate 0.5 (seed 7), with 500");
  });

  it("--drop on its own drops every request without an answer", async () => {
    const run = await listen(["--no-store", "--drop"]);
    await expect(post(run.url, body, {})).rejects.toThrow();
    const result = await run.stop();
    expect(result.stdout).toMatch(/→ dropped {2}injected fail-rate drop\n$/);
    expect(result.stderr).toContain("injected failures 1");
  });

  it("exits 2 naming the port when it is in use", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const result = await runCli(["listen", "--port", String(port), "--no-store"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `hookctl: port ${port} on 127.0.0.1 is already in use — stop what is using it, pick another with --port, or use --port 0 for a free one\n`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  const bad: [string[], RegExp][] = [
    [["--path", "hooks"], /--path must start with "\/"/],
    [["--fail-rate", "1.5"], /--fail-rate.*expected a number from 0 to 1/],
    [["--fail-status", "200"], /--fail-status.*from 300 to 599/],
    [["--forward-to", "ftp://x"], /--forward-to must be an http or https URL, not ftp:/],
    [["--forward-to", "nope"], /--forward-to "nope" is not a valid URL/],
    [["--scheme", "pgp"], /unknown scheme "pgp"/],
    [["--max-body", "lots"], /--max-body.*expected a size/],
    [["--port", "70000"], /--port.*0 to 65535/],
    [["--secret-file", "/no/such/file"], /cannot read secret file/],
  ];
  for (const [args, message] of bad) {
    it(`rejects ${args.join(" ")} with exit 2 and one line`, async () => {
      const result = await runCli(["listen", "--no-store", ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    });
  }

  it("documents its flags with examples", async () => {
    const result = await runCli(["listen", "--help"]);
    expect(result.code).toBe(0);
    for (const flag of [
      "--fail-first",
      "--fail-rate",
      "--seed",
      "--drop",
      "--forward-to",
      "--max-body",
      "--ready-file",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain("Examples:");
  });
});
