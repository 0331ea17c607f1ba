// Requests/s through the listen receiver (signature verification + dedupe + capture into SQLite,
// each 2xx sent only after its request is committed) vs a bare node:http server answering 200,
// same autocannon load, same run, same concurrency.
// Each server runs in its own worker thread so the load generator does not share its event loop.
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import { fmt, median } from "./stats.js";

const secret = "bench-secret";
// Same for both servers; BENCH_CONNECTIONS overrides it to see how the ratio moves with load.
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const body = Buffer.from(
  JSON.stringify({
    type: "order.created",
    data: { id: "ord_1", customer: "cus_42", total: 4200, currency: "eur", items: [{ sku: "A", qty: 2 }] },
  }),
);
const signature = createHmac("sha256", secret).update(body).digest("hex");

const bareSource = `
  import { createServer } from "node:http";
  import { parentPort } from "node:worker_threads";
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
  parentPort.on("message", () => server.close(() => process.exit(0)));
`;

const receiverSource = (dbPath) => `
  import { parentPort } from "node:worker_threads";
  const dist = ${JSON.stringify(new URL("../../dist/", import.meta.url).href)};
  const { startReceiver } = await import(dist + "receiver/server.js");
  const { createCaptureThread } = await import(dist + "receiver/capture-thread.js");
  const { openDb } = await import(dist + "store/open.js");
  const db = openDb(${JSON.stringify(dbPath)});
  // As hookctl listen runs it: checks and migrations on one connection, writes on the capture thread.
  const capture = createCaptureThread(${JSON.stringify(dbPath)});
  const receiver = await startReceiver(
    { port: 0, secrets: [${JSON.stringify(secret)}], scheme: "auto", limits: { maxConcurrent: 1024 } },
    { capture },
  );
  parentPort.postMessage(receiver.port);
  parentPort.on("message", async () => {
    const summary = await receiver.close();
    await capture.close();
    const rows = db.prepare("SELECT count(*) FROM received").pluck().get();
    db.close();
    parentPort.postMessage({ summary, rows });
  });
`;

async function startWorker(source) {
  const worker = new Worker(source, { eval: true, type: "module" });
  const port = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  let stopped;
  return {
    port,
    stop() {
      stopped ??= (async () => {
        const done = new Promise((resolve) => worker.once("message", resolve));
        worker.postMessage("stop");
        const result = await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5000))]);
        await worker.terminate();
        return result;
      })();
      return stopped;
    },
  };
}

async function load(port, seconds, prefix) {
  let n = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        body,
        headers: { "content-type": "application/json", "x-signature": signature },
        // Unique delivery ids, so the receiver does the full work (not the duplicate path).
        setupRequest: (request) => {
          request.headers = { ...request.headers, "x-webhook-delivery-id": `dlv_${prefix}_${n++}` };
          return request;
        },
      },
    ],
  });
  return { rate: result["2xx"] / seconds, non2xx: result.non2xx + result.errors, total: result["2xx"] };
}

export default async function bench({ quick }) {
  // Many short paired rounds, the order alternating, judged by the median of the per-round ratios:
  // on two shared cores a burst of background load then spoils one pair, not the verdict.
  const seconds = quick ? 2 : 4;
  const rounds = quick ? 3 : 7;
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-"));
  const bare = await startWorker(bareSource);
  const receiver = await startWorker(receiverSource(join(dir, "bench.db")));
  try {
    await load(bare.port, 2, "warm");
    await load(receiver.port, 2, "warm");
    const bareRates = [];
    const receiverRates = [];
    const ratios = [];
    let problems = 0;
    for (let round = 0; round < rounds; round++) {
      const runBare = async () => (await load(bare.port, seconds, `b${round}`)).rate;
      const runReceiver = async () => {
        const measured = await load(receiver.port, seconds, `r${round}`);
        problems += measured.non2xx;
        return measured.rate;
      };
      let bareRate;
      let receiverRate;
      if (round % 2 === 0) {
        bareRate = await runBare();
        receiverRate = await runReceiver();
      } else {
        receiverRate = await runReceiver();
        bareRate = await runBare();
      }
      bareRates.push(bareRate);
      receiverRates.push(receiverRate);
      ratios.push(receiverRate / bareRate);
    }
    const { summary, rows } = (await receiver.stop()) ?? {};
    const value = median(receiverRates);
    const baseline = median(bareRates);
    const ratio = median(ratios);
    return [
      {
        name: `requests/s, listen (verify + dedupe + capture) vs bare node:http, ${connections} connections`,
        value: `${fmt(value)} req/s`,
        baseline: `${fmt(baseline)} req/s`,
        ratio,
        target: ">= 0.6",
        met: ratio >= 0.6 && problems === 0,
        note:
          `median of ${rounds} paired ${seconds}s rounds (ratios ${ratios.map((r) => r.toFixed(2)).join(", ")}); ${problems} non-2xx/errors; ` +
          `${summary?.verified ?? "?"} verified, ${rows ?? "?"} rows captured (capture thread, group commit: each 2xx after its commit)`,
      },
    ];
  } finally {
    await bare.stop();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
