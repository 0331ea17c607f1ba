// provider → relay → listener → app, both built binaries as separate processes on loopback, the
// provider and the app in this process (one clock for the send and the arrival).
// 1. Added latency at a steady 200 requests/s: the time from the provider's send to the app's
//    arrival through `relay` and `listen --from … --secret … --forward-to` (signature verified,
//    captured, cursor stored, acked), against the same requests posted straight to the app.
// 2. Catch-up: 10,000 requests stored while no listener runs, then a listener started: requests/s
//    from its first arrival at the app to its last.
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent, request } from "undici";
import { fmt } from "./stats.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/hookctl.js");
const secret = "bench-secret-0123456789";
const body = Buffer.from(
  JSON.stringify({
    type: "order.created",
    data: { id: "ord_1", customer: "cus_42", total: 4200, currency: "eur", items: [{ sku: "A", qty: 2 }] },
  }),
);
const signature = createHmac("sha256", secret).update(body).digest("hex");

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The app: notes when each request (by its X-Bench-N) has fully arrived. */
async function startApp() {
  const arrivals = new Map();
  const order = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const n = Number(req.headers["x-bench-n"]);
      const at = performance.now();
      arrivals.set(n, at);
      order.push(at);
      res.end("ok");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/app`,
    arrivals,
    order,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A built binary left running; resolves once its ready file exists. */
async function startBin(args, readyFile, env = {}) {
  const child = spawn(process.execPath, [bin, ...args, "--ready-file", readyFile], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.on("close", resolve));
  const deadline = Date.now() + 20_000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${args[2]} did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: readFileSync(readyFile, "utf8").trim(),
    stderr: () => stderr,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

function headersFor(n) {
  return {
    "content-type": "application/json",
    "x-webhook-delivery-id": `dlv_bench_${n}`,
    "x-signature": signature,
    "x-bench-n": String(n),
  };
}

/** Send `count` requests at `rate`/s to `url`; resolves with each one's send time. */
async function paced(url, first, count, rate, agent) {
  const sent = new Map();
  const start = performance.now();
  const inFlight = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const n = first + i;
    sent.set(n, performance.now());
    inFlight.push(
      request(url, { method: "POST", body, headers: headersFor(n), dispatcher: agent }).then((r) =>
        r.body.dump(),
      ),
    );
  }
  await Promise.all(inFlight);
  return sent;
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function latencies(sent, arrivals) {
  const values = [];
  for (const [n, at] of sent) {
    const arrived = arrivals.get(n);
    if (arrived !== undefined) values.push(arrived - at);
  }
  return values;
}

export default async function bench({ quick }) {
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-relay-"));
  const relayDb = join(dir, "relay.db");
  const added = spawnSync(
    process.execPath,
    [bin, "--db", relayDb, "--json", "relay", "channel", "add", "bench", "--rate", "100000/s"],
    { encoding: "utf8" },
  );
  if (added.status !== 0) throw new Error(`relay channel add failed: ${added.stderr}`);
  const { token } = JSON.parse(added.stdout);
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const app = await startApp();
  const running = [];
  try {
    const relay = await startBin(["--db", relayDb, "relay", "--port", "0"], join(dir, "relay-url"));
    running.push(relay);
    const channelUrl = `${relay.url}/c/bench`;
    const listenArgs = (db) => [
      "--db",
      db,
      "listen",
      "--from",
      channelUrl,
      "--secret",
      secret,
      "--forward-to",
      app.url,
    ];
    const listener = await startBin(listenArgs(join(dir, "laptop.db")), join(dir, "listen-ready"), {
      HOOKCTL_RELAY_TOKEN: token,
    });
    running.push(listener);

    // 1. Latency at 200/s: warm up, then the direct baseline and the relayed path, alternating.
    const rate = 200;
    const seconds = quick ? 3 : 10;
    const count = rate * seconds;
    await paced(`${channelUrl}/hook`, 0, 200, rate, agent);
    await waitUntil(() => app.arrivals.size >= 200, 20_000, "the warm-up");
    const direct = [];
    const relayed = [];
    let next = 1_000;
    for (const half of [0, 1]) {
      const sentDirect = await paced(app.url, next, count / 2, rate, agent);
      direct.push(...latencies(sentDirect, app.arrivals));
      next += count;
      const sentRelayed = await paced(`${channelUrl}/hook`, next, count / 2, rate, agent);
      const last = next + count / 2 - 1;
      await waitUntil(() => app.arrivals.has(last), 30_000, `relayed round ${half}`);
      relayed.push(...latencies(sentRelayed, app.arrivals));
      next += count;
    }
    const missing = count - relayed.length;
    await listener.stop();
    running.pop();

    // 2. Catch-up: 10,000 stored while no listener runs.
    const backlog = 10_000;
    const base = 1_000_000;
    let posted = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (posted < backlog) {
          const n = base + posted++;
          const response = await request(`${channelUrl}/hook`, {
            method: "POST",
            body,
            headers: headersFor(n),
            dispatcher: agent,
          });
          await response.body.dump();
          if (response.statusCode >= 300) throw new Error(`the relay answered ${response.statusCode}`);
        }
      }),
    );
    const arrivedBefore = app.order.length;
    const catcher = await startBin(listenArgs(join(dir, "fresh.db")), join(dir, "catch-ready"), {
      HOOKCTL_RELAY_TOKEN: token,
    });
    running.push(catcher);
    // A fresh log: it starts after the relay's acknowledged seq, i.e. right before the backlog.
    await waitUntil(() => app.arrivals.has(base + backlog - 1), 120_000, "the catch-up");
    const times = app.order.slice(arrivedBefore);
    const caughtUpRate = (times.length - 1) / ((times.at(-1) - times[0]) / 1000);

    const p50 = percentile(relayed, 50);
    const p99 = percentile(relayed, 99);
    const d50 = percentile(direct, 50);
    const d99 = percentile(direct, 99);
    const note = `${relayed.length} relayed requests at ${rate}/s (${missing} missing), verified, captured and forwarded; baseline: the same requests posted straight to the app`;
    return [
      {
        name: "added latency p50, provider → relay → listen --from → app, 200 req/s",
        value: `${fmt(p50 - d50, 2)} ms`,
        baseline: `${fmt(d50, 2)} ms direct`,
        ratio: p50 / d50,
        target: "<= 5 ms",
        met: p50 - d50 <= 5 && missing === 0,
        note: `${note}; relayed p50 ${fmt(p50, 2)} ms`,
      },
      {
        name: "added latency p99, provider → relay → listen --from → app, 200 req/s",
        value: `${fmt(p99 - d99, 2)} ms`,
        baseline: `${fmt(d99, 2)} ms direct`,
        ratio: p99 / d99,
        target: "<= 25 ms",
        met: p99 - d99 <= 25 && missing === 0,
        note: `relayed p99 ${fmt(p99, 2)} ms`,
      },
      {
        name: "catch-up: a listener started after 10,000 requests were stored",
        value: `${fmt(caughtUpRate)} req/s`,
        baseline: "",
        ratio: caughtUpRate / 2000,
        target: ">= 2,000 req/s",
        met: caughtUpRate >= 2000 && times.length === backlog,
        note: `${times.length} arrivals from the first to the last, each verified, captured (cursor in the same commit) and forwarded in order`,
      },
    ];
  } finally {
    for (const one of running.reverse()) await one.stop();
    await app.close();
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
