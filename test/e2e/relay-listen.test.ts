import { rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { sign as githubSign, verify as githubVerify } from "@octokit/webhooks-methods";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { Webhook as SvixWebhook } from "svix";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { runBin, spawnBin, spawnReady, waitFor } from "../helpers/bin.js";
import { type RelayBin, relayBin } from "../helpers/relay-bin.js";
import { tempDb, tempDir } from "../helpers/tmp.js";

const standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const svixSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const stripeSecret = "whsec_stripe_test_0123456789abcdef";
const githubSecret = "gh-webhook-secret-for-tests";
const rewritten = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Arrival {
  method: string;
  url: string;
  /** Raw header pairs without the five HTTP rewrites. */
  headers: [string, string][];
  body: Buffer;
}

/** The app under development: records what it gets as it arrives, answers 200 after `delayMs`. */
async function startApp(delayMs = 0) {
  const arrivals: Arrival[] = [];
  let answered: Promise<unknown> = Promise.resolve();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      if (!rewritten.has(name.toLowerCase())) headers.push([name, req.rawHeaders[i + 1] as string]);
    }
    arrivals.push({ method: req.method ?? "", url: req.url ?? "", headers, body: Buffer.concat(chunks) });
    // One answer at a time, each `delayMs` after the last: a slow app, even to a pipelining client.
    answered = answered
      .then(() => new Promise((resolve) => setTimeout(resolve, delayMs)))
      .then(() => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  const connections = () =>
    new Promise<number>((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/app`,
    arrivals,
    connections,
  };
}

async function startRelay(): Promise<RelayBin> {
  const relay = await relayBin();
  cleanups.push(() => relay.kill());
  return relay;
}

/** `listen --from` from the built binary; resolves once connected (its ready file). */
async function startListener(relay: RelayBin, db: string, args: string[], token = relay.token) {
  const dir = tempDir();
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, `${token}\n`);
  const readyFile = join(dir, "ready");
  const { child, output, exited } = await spawnReady(
    [
      "--db",
      db,
      "--json",
      "listen",
      "--from",
      relay.channelUrl,
      "--relay-token-file",
      tokenFile,
      "--ready-file",
      readyFile,
      ...args,
    ],
    readyFile,
    { what: "listen" },
  );
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  cleanups.push(kill);
  rmSync(readyFile);
  const stop = (signal: NodeJS.Signals = "SIGTERM") => {
    child.kill(signal);
    return exited;
  };
  return { output, stop, kill, exited };
}

/** `listen --from` run to its end (a refusal), with `token` in a token file. */
async function listenOnce(relay: RelayBin, db: string, token: string) {
  const tokenFile = join(tempDir(), "token");
  writeFileSync(tokenFile, `${token}\n`);
  return runBin(["--db", db, "listen", "--from", relay.channelUrl, "--relay-token-file", tokenFile]);
}

/** `relay channel <args>` on the relay's log; the token a JSON answer carries, if any. */
async function channelCommand(relay: RelayBin, args: string[]): Promise<string | undefined> {
  const result = await runBin(["--db", relay.db, "--json", "relay", "channel", ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim() ? (JSON.parse(result.stdout) as { token?: string }).token : undefined;
}

/** Requests captured in `db` so far, by delivery id, in capture order. */
function capturedIds(db: string): string[] {
  const log = openDb(db, { readOnly: true });
  try {
    return log.prepare("SELECT delivery_id FROM received ORDER BY rowid").pluck().all() as string[];
  } finally {
    log.close();
  }
}

/** Post exact bytes with exact header pairs (order and repeats kept) to the relay's channel. */
async function provide(relay: RelayBin, path: string, headers: [string, string][], body: Buffer) {
  const response = await request(`${relay.channelUrl}${path}`, {
    method: "POST",
    headers: headers.flat(),
    body,
  });
  await response.body.dump();
  expect(response.statusCode).toBeLessThan(300);
}

/** 200 requests, 50 each signed by Standard Webhooks', Svix's, Stripe's and GitHub's own libraries. */
async function providerRequests(): Promise<{ path: string; headers: [string, string][]; body: Buffer }[]> {
  const standard = new StandardWebhook(standardSecret);
  const svix = new SvixWebhook(svixSecret);
  const stripe = new Stripe("sk_test_unused");
  const requests: { path: string; headers: [string, string][]; body: Buffer }[] = [];
  for (let i = 0; i < 200; i++) {
    // Unicode and odd spacing in every body: a re-serialisation would show.
    const text = `{"type":"order.created","n":${i},  "note":"crème brûlée ✓ ${"x".repeat(i % 7)}"}`;
    const body = Buffer.from(text);
    const id = `msg_${i}`;
    const now = new Date();
    const common: [string, string][] = [
      ["Content-Type", "application/json"],
      ["User-Agent", "Provider/1.0"],
    ];
    switch (i % 4) {
      case 0: {
        const signature = standard.sign(id, now, text);
        const ts = String(Math.floor(now.getTime() / 1000));
        requests.push({
          path: "/standard",
          headers: [
            ...common,
            ["webhook-id", id],
            ["webhook-timestamp", ts],
            ["webhook-signature", signature],
          ],
          body,
        });
        break;
      }
      case 1: {
        const signature = svix.sign(id, now, text);
        const ts = String(Math.floor(now.getTime() / 1000));
        requests.push({
          path: "/svix",
          headers: [...common, ["svix-id", id], ["svix-timestamp", ts], ["svix-signature", signature]],
          body,
        });
        break;
      }
      case 2: {
        const header = stripe.webhooks.generateTestHeaderString({ payload: text, secret: stripeSecret });
        requests.push({
          path: "/stripe",
          headers: [...common, ["Stripe-Signature", header], ["X-Request-N", String(i)]],
          body,
        });
        break;
      }
      default: {
        const signature = await githubSign(githubSecret, text);
        requests.push({
          path: "/github",
          headers: [
            ...common,
            ["X-GitHub-Event", "push"],
            ["X-GitHub-Delivery", id],
            ["X-Hub-Signature-256", signature],
          ],
          body,
        });
      }
    }
  }
  return requests;
}

/** The app checks each arrival with the provider's own library, as a real app would. */
async function verifiedAtApp(arrival: Arrival): Promise<boolean> {
  const headers = Object.fromEntries(arrival.headers.map(([name, value]) => [name.toLowerCase(), value]));
  const text = arrival.body.toString("utf8");
  try {
    if (headers["webhook-signature"]) new StandardWebhook(standardSecret).verify(text, headers);
    else if (headers["svix-signature"]) new SvixWebhook(svixSecret).verify(text, headers);
    else if (headers["stripe-signature"])
      new Stripe("sk_test_unused").webhooks.constructEvent(text, headers["stripe-signature"], stripeSecret);
    else return await githubVerify(githubSecret, text, headers["x-hub-signature-256"] ?? "");
    return true;
  } catch {
    return false;
  }
}

const ndjson = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("listen --from a relay (both built binaries on loopback)", () => {
  it("passes 200 provider-signed requests through relay and listener to the app, verified, byte for byte", async () => {
    const relay = await startRelay();
    const app = await startApp();
    const db = tempDb();
    const listener = await startListener(relay, db, [
      ...[
        "--secret",
        standardSecret,
        "--secret",
        svixSecret,
        "--secret",
        stripeSecret,
        "--secret",
        githubSecret,
      ],
      "--forward-to",
      app.url,
    ]);
    const sent = await providerRequests();
    for (const one of sent) await provide(relay, one.path, one.headers, one.body);
    await waitFor(() => (app.arrivals.length >= 200 ? true : undefined), 30_000, "200 arrivals at the app");

    expect(app.arrivals).toHaveLength(200);
    for (const [i, arrival] of app.arrivals.entries()) {
      const original = sent[i];
      expect(arrival.body.equals(original?.body as Buffer)).toBe(true);
      // Same names (case kept) and values, same order; the relay's Host, Content-Length... are not passed on.
      expect(arrival.headers).toEqual(original?.headers);
      expect(arrival.method).toBe("POST");
      expect(await verifiedAtApp(arrival)).toBe(true);
    }
    await waitFor(
      () => (ndjson(listener.output.stdout).length >= 200 ? true : undefined),
      10_000,
      "200 lines",
    );
    const lines = ndjson(listener.output.stdout);
    expect(lines.map((line) => line.verification)).toEqual(Array(200).fill("verified"));
    expect(new Set(lines.map((line) => line.scheme))).toEqual(
      new Set(["standard", "svix", "stripe", "github"]),
    );
    expect(lines.map((line) => line.path)).toEqual(sent.map((one) => one.path));
    expect(listener.output.stderr).toContain(
      `connected to ${relay.channelUrl} (resuming after the relay's last acknowledged request)`,
    );
    expect(listener.output.stderr).not.toContain(relay.token);
    expect(await listener.stop("SIGTERM")).toBe(0);
  });

  it("keeps binary and non-UTF-8 bodies and repeated headers, in the capture and at the app", async () => {
    const relay = await startRelay();
    const app = await startApp();
    const db = tempDb();
    await startListener(relay, db, ["--forward-to", app.url]);
    const bodies = [
      Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28, 0x80]),
      Buffer.from("caf\xe9 latin-1", "latin1"),
      Buffer.alloc(0),
      Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)),
    ];
    const headers: [string, string][] = [
      ["X-Repeat", "one"],
      ["Content-Type", "application/octet-stream"],
      ["x-repeat", "two"],
      ["X-Repeat", "three, with comma"],
      ["Cookie", "a=1"],
      ["Cookie", "b=2"],
    ];
    for (const [i, body] of bodies.entries()) await provide(relay, `/bin/${i}?q=${i}`, headers, body);
    await waitFor(() => (app.arrivals.length >= bodies.length ? true : undefined), 15_000, "the arrivals");
    for (const [i, arrival] of app.arrivals.entries()) {
      expect(arrival.body.equals(bodies[i] as Buffer)).toBe(true);
      expect(arrival.headers).toEqual(headers);
      expect(arrival.url).toBe(`/app?q=${i}`);
    }
    const log = openDb(db, { readOnly: true });
    cleanups.push(() => log.close());
    const rows = await waitFor(() => {
      const found = log.prepare("SELECT path, headers, body FROM received ORDER BY rowid").all() as {
        path: string;
        headers: string;
        body: Buffer;
      }[];
      return found.length === bodies.length ? found : undefined;
    });
    for (const [i, row] of rows.entries()) {
      expect(row.path).toBe(`/bin/${i}?q=${i}`);
      expect(row.body.equals(bodies[i] as Buffer)).toBe(true);
      // The capture keeps what the relay received, the hop headers too.
      const stored = JSON.parse(row.headers) as [string, string][];
      expect(stored.filter(([name]) => !rewritten.has(name.toLowerCase()))).toEqual(headers);
      expect(stored.some(([name]) => name.toLowerCase() === "content-length")).toBe(true);
    }
  });

  it("a listener killed mid-stream and restarted gets everything it missed, in order; its log holds each once", async () => {
    const relay = await startRelay();
    // A slow app, so the kill lands in the middle of the stream.
    const app = await startApp(5);
    const db = tempDb();
    const first = await startListener(relay, db, ["--forward-to", app.url]);
    const ids = Array.from({ length: 150 }, (_, i) => `dlv_${String(i).padStart(3, "0")}`);
    const post = (id: string) =>
      provide(relay, "/k", [["X-Webhook-Delivery-ID", id]], Buffer.from(`{"id":"${id}"}`));
    for (const id of ids.slice(0, 100)) await post(id);
    await waitFor(() => (app.arrivals.length >= 30 ? true : undefined), 15_000, "30 arrivals");
    await first.kill();
    // Requests the killed listener had already sent (pipelined) may still be arriving: let them.
    await waitFor(
      async () => ((await app.connections()) === 0 ? true : undefined),
      10_000,
      "the old connection",
    );
    const beforeRestart = app.arrivals.length;
    expect(beforeRestart).toBeLessThan(100);
    for (const id of ids.slice(100)) await post(id);

    const second = await startListener(relay, db, ["--forward-to", app.url]);
    const idOf = (arrival: Arrival) =>
      arrival.headers.find(([name]) => name === "X-Webhook-Delivery-ID")?.[1];
    await waitFor(
      () => (idOf(app.arrivals.at(-1) as Arrival) === ids.at(-1) ? true : undefined),
      30_000,
      "the last id",
    );
    const seen = app.arrivals.map(idOf);
    // At least once, in order: what came before the kill, then a resume at or before where it stopped.
    const resumedAt = ids.indexOf(seen[beforeRestart] as string);
    expect(seen.slice(0, beforeRestart)).toEqual(ids.slice(0, beforeRestart));
    expect(resumedAt).toBeGreaterThanOrEqual(0);
    expect(resumedAt).toBeLessThanOrEqual(beforeRestart);
    expect(seen.slice(beforeRestart)).toEqual(ids.slice(resumedAt));
    expect(second.output.stderr).toMatch(/connected to .* \(resuming after #\d+\)/);

    // The log: every request exactly once, in order (the cursor moves in the capture's transaction).
    // The app has the last request before its answer is back and captured: wait for the capture,
    // since a stop abandons a forward still waiting on the app (the next run fetches it again).
    const log = openDb(db, { readOnly: true });
    cleanups.push(() => log.close());
    await waitFor(
      () => (log.prepare("SELECT COUNT(*) FROM received").pluck().get() === ids.length ? true : undefined),
      15_000,
      "every request captured",
    );
    await second.stop("SIGTERM");
    const captured = log.prepare("SELECT delivery_id FROM received ORDER BY rowid").pluck().all();
    expect(captured).toEqual(ids);
    const cursor = log.prepare("SELECT acked_seq FROM relay_cursors").pluck().get();
    expect(cursor).toBe(150);
  });

  it("a channel removed and added again: the listener says its cursor is past the channel and exits 2; --from-start takes it from the first request", async () => {
    const relay = await startRelay();
    const db = tempDb();
    const post = (id: string) => provide(relay, "/k", [["X-Webhook-Delivery-ID", id]], Buffer.from(id));
    const first = await startListener(relay, db, []);
    for (const id of ["old-1", "old-2", "old-3"]) await post(id);
    await waitFor(() => (capturedIds(db).length === 3 ? true : undefined), 15_000, "three captures");
    expect(await first.stop()).toBe(0);
    await channelCommand(relay, ["rm", relay.channel, "--yes"]);
    const token = (await channelCommand(relay, ["add", relay.channel, "--rate", "100000/s"])) as string;
    for (const id of ["new-1", "new-2"]) await post(id);

    const refused = await listenOnce(relay, db, token);
    expect(refused.code).toBe(2);
    const error = refused.stderr.trim().split("\n").at(-1);
    expect(error).toMatch(
      /^hookctl: the relay cannot stream .* \(409: cannot resume after #3: this channel's last request is #2 /,
    );
    expect(error).toContain("--from-start");

    const again = await startListener(relay, db, ["--from-start"], token);
    await waitFor(() => (capturedIds(db).length === 5 ? true : undefined), 15_000, "the new channel's two");
    expect(await again.stop()).toBe(0);
    expect(capturedIds(db)).toEqual(["old-1", "old-2", "old-3", "new-1", "new-2"]);
  });

  it("a rotated token cuts off a connected listener: it exits 2 and gets nothing posted after the rotation", async () => {
    const relay = await startRelay();
    const db = tempDb();
    const post = (id: string) => provide(relay, "/k", [["X-Webhook-Delivery-ID", id]], Buffer.from(id));
    const listener = await startListener(relay, db, []);
    await post("before");
    await waitFor(() => (capturedIds(db).length === 1 ? true : undefined), 15_000, "the first capture");
    await channelCommand(relay, ["rotate-token", relay.channel]);
    await post("after");
    expect(await listener.exited).toBe(2);
    expect(listener.output.stderr).toContain("disconnected: the relay revoked the token");
    expect(listener.output.stderr).toContain('"message":"the relay refused the token for ');
    expect(capturedIds(db)).toEqual(["before"]);
  });

  it("a second listener on the same channel and log is refused; once the first is killed -9, a new one starts at once", async () => {
    const relay = await startRelay();
    const db = tempDb();
    const first = await startListener(relay, db, []);
    const second = await listenOnce(relay, db, relay.token);
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split("\n").at(-1)).toMatch(
      /^hookctl: another hookctl listen --from \(pid \d+\) is reading http:\/\/127\.0\.0\.1:\d+\/c\/test into this log — stop it first/,
    );
    await first.kill();
    const third = await startListener(relay, db, []);
    await provide(relay, "/k", [["X-Webhook-Delivery-ID", "once"]], Buffer.from("once"));
    await waitFor(() => (capturedIds(db).length === 1 ? true : undefined), 15_000, "the capture");
    expect(await third.stop()).toBe(0);
    expect(capturedIds(db)).toEqual(["once"]);
  });

  it("refuses a wrong token with one line and exit 2, never printing the token", async () => {
    const relay = await startRelay();
    const dir = tempDir();
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "not-the-token-at-all\n");
    const child = spawnBin([
      "--db",
      tempDb(),
      "listen",
      "--from",
      relay.channelUrl,
      "--relay-token-file",
      tokenFile,
    ]);
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^hookctl: the relay refused the token for http:\/\/127\.0\.0\.1:\d+\/c\/test/m);
    expect(stderr).not.toContain("not-the-token-at-all");
  });
});
