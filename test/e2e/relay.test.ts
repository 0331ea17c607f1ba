import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  relayChannel,
  relayChannelAdded,
  relayChannelRemoved,
  relayChannelRotated,
  relayIngress,
} from "../../src/contract/schema/relay.js";
import type { RelayedRequest } from "../../src/relay/protocol.js";
import { runBin, waitFor } from "../helpers/bin.js";
import { relayBin } from "../helpers/relay-bin.js";
import { selfSignedCert } from "../helpers/tls.js";
import { tempDb, tempDir } from "../helpers/tmp.js";
import { readStream } from "../relay/server-support.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function relay(options: Parameters<typeof relayBin>[0] = {}) {
  const started = await relayBin(options);
  cleanup.push(started.kill);
  return started;
}

const streamOf = (r: { url: string; channel: string }, after = "0") =>
  `${r.url}/_relay/v1/channels/${r.channel}/stream?after=${after}`;

describe("hookctl relay (built binary)", () => {
  it("stores a provider's request, streams it with the token, logs it, and exits 0 on SIGTERM", async () => {
    const r = await relay();
    const body = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
    const answer = await fetch(`${r.channelUrl}/github?x=1`, { method: "POST", body });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ seq: 1 });
    const stream = await readStream(streamOf(r), r.token);
    const [stored] = await stream.waitForRequests(1);
    expect(Buffer.from(stored?.bodyBase64 ?? "", "base64").equals(body)).toBe(true);
    expect(stored).toMatchObject({ seq: 1, channel: "test", path: "/github", query: "x=1" });
    await waitFor(() => (r.output.stdout.includes("200 test POST /github #1") ? true : undefined));
    expect(await r.stop("SIGTERM")).toBe(0);
    await waitFor(() => (stream.ended ? true : undefined), 10_000, "the stream's end");
    expect(r.output.stderr).toMatch(/stopped: 1 request stored/);
  });

  it("prints one relay-ingress object per request with --json, refusals included", async () => {
    const r = await relay({ args: ["--json", "--max-body", "4"] });
    expect((await fetch(`${r.channelUrl}/a`, { method: "POST", body: "abc" })).status).toBe(200);
    expect((await fetch(`${r.channelUrl}/b`, { method: "POST", body: "too long" })).status).toBe(413);
    const lines = await waitFor(() => {
      const found = r.output.stdout.trim().split("\n").filter(Boolean);
      return found.length >= 2 ? found : undefined;
    });
    const [stored, refused] = lines.map((line) => relayIngress.parse(JSON.parse(line)));
    expect(stored).toMatchObject({
      channel: "test",
      seq: 1,
      method: "POST",
      path: "/a",
      statusCode: 200,
      bytes: 3,
      reason: null,
    });
    expect(refused).toMatchObject({
      seq: null,
      path: "/b",
      statusCode: 413,
      reason: expect.stringMatching(/4-byte limit/),
    });
  });

  it("exits 130 on SIGINT", async () => {
    const r = await relay();
    expect(await r.stop("SIGINT")).toBe(130);
  });

  it("refuses a public address without TLS, in one line with the way out", async () => {
    const result = await runBin(["--db", tempDb(), "relay", "--host", "0.0.0.0", "--port", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(
      /refusing to serve plain HTTP on 0\.0\.0\.0.*--cert\/--key.*--insecure-http/,
    );
    const half = await runBin(["--db", tempDb(), "relay", "--cert", "x.pem", "--port", "0"]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--cert and --key go together/);
    const [one, other] = [selfSignedCert(tempDir()), selfSignedCert(tempDir())];
    const mismatched = await runBin([
      "--db",
      tempDb(),
      "relay",
      "--cert",
      one.certPath,
      "--key",
      other.keyPath,
    ]);
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toMatch(/^hookctl: --cert\/--key are not a usable TLS pair: .* — give the PEM/);
  });

  it("serves HTTPS with --cert/--key", async () => {
    const tls = selfSignedCert(tempDir());
    const r = await relay({ args: ["--cert", tls.certPath, "--key", tls.keyPath] });
    expect(r.url).toMatch(/^https:/);
    const stream = await readStream(streamOf(r), r.token, tls.cert);
    expect(stream.status).toBe(200);
    await stream.waitForEvent("caught-up");
  });

  it("manages channels: add prints the token once, list, rotate-token, rm needs --yes off a terminal", async () => {
    const db = tempDb();
    const caps = ["--rate", "5/s", "--max-body", "64kb"];
    const added = await runBin(["--db", db, "--json", "relay", "channel", "add", "gh", ...caps]);
    expect(added.code).toBe(0);
    const channel = relayChannelAdded.parse(JSON.parse(added.stdout));
    expect(channel).toMatchObject({
      name: "gh",
      ratePerSecond: 5,
      maxBodyBytes: 65536,
      maxStoredBytes: null,
      lastSeq: 0,
    });
    expect(String(channel.token)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const again = await runBin(["--db", db, "relay", "channel", "add", "gh"]);
    expect(again.code).toBe(2);
    expect((await runBin(["--db", db, "relay", "channel", "add", "Bad Name"])).code).toBe(2);
    const list = await runBin(["--db", db, "relay", "channel", "list"]);
    expect(list.stdout).toMatch(/gh +0 +0 B +0 +0 +never +body 64\.0 KiB, rate 5\/s, stored default/);
    expect(list.stdout).not.toContain(String(channel.token));
    const listed = await runBin(["--db", db, "--json", "relay", "channel", "list"]);
    expect(relayChannel.parse(JSON.parse(listed.stdout))).toEqual({ ...channel, token: undefined });
    const rotated = await runBin(["--db", db, "--json", "relay", "channel", "rotate-token", "gh"]);
    expect(relayChannelRotated.parse(JSON.parse(rotated.stdout)).token).not.toBe(channel.token);
    const refused = await runBin(["--db", db, "relay", "channel", "rm", "gh"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/without --yes/);
    const removed = await runBin(["--db", db, "--json", "relay", "channel", "rm", "gh", "--yes"]);
    expect(relayChannelRemoved.parse(JSON.parse(removed.stdout))).toEqual({
      name: "gh",
      removed: true,
      deletedRequests: 0,
    });
    expect((await runBin(["--db", db, "relay", "channel", "rm", "gh", "--yes"])).code).toBe(2);
  });

  it("killed with -9 while requests arrive, loses none it answered 2xx", async () => {
    const r = await relay();
    const answered = new Map<number, Buffer>();
    const killAfter = 20 + Math.floor(Math.random() * 60);
    let sent = 0;
    const poster = async (worker: number) => {
      for (;;) {
        const n = sent++;
        if (n === killAfter) void r.kill();
        // A body that differs in every byte position per request, binary included.
        const body = createHash("sha512").update(`${worker}:${n}`).digest();
        try {
          const response = await fetch(r.channelUrl, { method: "POST", body });
          if (response.status !== 200) throw new Error(`status ${response.status}`);
          const { seq } = (await response.json()) as { seq: number };
          answered.set(seq, body);
        } catch {
          return;
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(poster));
    expect(answered.size).toBeGreaterThanOrEqual(killAfter - 4);
    await r.restart();
    const stream = await readStream(streamOf(r), r.token);
    await stream.waitForEvent("caught-up");
    const stored = new Map<number, RelayedRequest>(stream.requests().map((req) => [req.seq, req]));
    for (const [seq, body] of answered) {
      const request = stored.get(seq);
      expect(request, `seq ${seq}`).toBeDefined();
      expect(Buffer.from(request?.bodyBase64 ?? "", "base64").equals(body)).toBe(true);
      expect(request?.sha256).toBe(createHash("sha256").update(body).digest("hex"));
    }
    const seqs = [...stored.keys()];
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect((await fetch(r.channelUrl, { method: "POST", body: "after" })).status).toBe(200);
  });
});
