// `hookctl serve` (the built binary): events accepted per second — each 202 only after its event
// and delivery are committed — with the log synced as the default promises (synchronous=FULL:
// an accepted event survives power loss) and relaxed (--durability normal: survives a crash of
// hookctl, not of the machine), next to a bare node:http server answering 202. The background
// engine delivers every event meanwhile to a no-op receiver, as in use. Paired rounds, order
// alternating, judged by medians.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import { fmt, median } from "./stats.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/hookctl.js");
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const body = JSON.stringify({
  type: "order.created",
  payload: { id: "ord_1", customer: "cus_42", total: 4200, currency: "eur", items: [{ sku: "A", qty: 2 }] },
});

const receiverSource = `
  import { createServer } from "node:http";
  import { parentPort } from "node:worker_threads";
  const status = Number(process.env.STATUS ?? 200);
  const server = createServer((req, res) => { req.resume(); req.on("end", () => { res.statusCode = status; res.end("ok"); }); });
  server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
  parentPort.on("message", () => server.close(() => process.exit(0)));
`;

async function startWorker(env = {}) {
  const worker = new Worker(receiverSource, { eval: true, type: "module", env: { ...process.env, ...env } });
  const port = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { port, stop: () => worker.terminate() };
}

function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${args[0]} exited ${code}: ${stderr}`)),
    );
  });
}

async function startServe(dir, name, receiverPort, durability) {
  const db = join(dir, `${name}.db`);
  const env = { ...process.env, HOOKCTL_DB: db, NO_COLOR: "1" };
  await run(
    ["endpoint", "add", "sink", "--url", `http://127.0.0.1:${receiverPort}/`, "--secret", "s3cret"],
    env,
  );
  const readyFile = join(dir, `${name}.url`);
  const child = spawn(
    process.execPath,
    [bin, "serve", "--port", "0", "--ready-file", readyFile, "--durability", durability, "--quiet"],
    { env, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.on("close", resolve));
  for (
    let waited = 0;
    !existsSync(readyFile) || readFileSync(readyFile, "utf8").trim() === "";
    waited += 20
  ) {
    if (child.exitCode !== null || waited > 30_000) throw new Error(`serve did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const url = readFileSync(readyFile, "utf8").trim().replace(/\/$/, "");
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function load(url, seconds) {
  const result = await autocannon({
    url: `${url}/v1/events`,
    connections,
    duration: seconds,
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  return { rate: result["2xx"] / seconds, problems: result.non2xx + result.errors };
}

export default async function bench({ quick }) {
  const seconds = quick ? 2 : 4;
  const rounds = quick ? 3 : 5;
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-serve-"));
  const receiver = await startWorker();
  const bare = await startWorker({ STATUS: "202" });
  const full = await startServe(dir, "full", receiver.port, "full");
  const normal = await startServe(dir, "normal", receiver.port, "normal");
  const bareUrl = `http://127.0.0.1:${bare.port}`;
  try {
    for (const url of [bareUrl, full.url, normal.url]) await load(url, 1);
    const rates = { bare: [], full: [], normal: [] };
    const fullVsNormal = [];
    const normalVsBare = [];
    let problems = 0;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ["bare", "full", "normal"] : ["normal", "full", "bare"];
      const got = {};
      for (const which of order) {
        const measured = await load(
          which === "bare" ? bareUrl : which === "full" ? full.url : normal.url,
          seconds,
        );
        if (which !== "bare") problems += measured.problems;
        got[which] = measured.rate;
        rates[which].push(measured.rate);
      }
      fullVsNormal.push(got.full / got.normal);
      normalVsBare.push(got.normal / got.bare);
    }
    const note = `median of ${rounds} paired ${seconds}s rounds, ${connections} connections, one subscribed endpoint delivered meanwhile; ${problems} non-2xx/errors`;
    return [
      {
        name: "events/s accepted by serve (202 after commit), synchronous=NORMAL vs bare node:http 202",
        value: `${fmt(median(rates.normal))} ev/s`,
        baseline: `${fmt(median(rates.bare))} req/s`,
        ratio: median(normalVsBare),
        target: "report",
        met: problems === 0,
        note: `${note}; ratios ${normalVsBare.map((r) => r.toFixed(2)).join(", ")}`,
      },
      {
        name: "events/s accepted by serve, synchronous=FULL (the default) vs NORMAL",
        value: `${fmt(median(rates.full))} ev/s`,
        baseline: `${fmt(median(rates.normal))} ev/s`,
        ratio: median(fullVsNormal),
        target: "report",
        met: problems === 0,
        note: `ratios ${fullVsNormal.map((r) => r.toFixed(2)).join(", ")}`,
      },
    ];
  } finally {
    await full.stop();
    await normal.stop();
    await receiver.stop();
    await bare.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
