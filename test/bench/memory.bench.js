// memory: the built binary's peak RSS (and throughput) for a large `send`, then for `replay`
// over the same log, requeueing and re-sending all of it, against a no-op loopback receiver in
// another process; and, on a copy of that log, the requeue step alone, so that a replay over the
// limit says whether requeueing or sending dominates. /usr/bin/time measures the child itself:
// the bench's own heap does not count.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDb } from "../../dist/store/open.js";
import { startNoopReceiver } from "./replay.bench.js";
import { fmt } from "./stats.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin/hookctl.js");
const timeBin = "/usr/bin/time";
const limitMb = 250;
const concurrency = 32;

/**
 * Run `hookctl <args>` under /usr/bin/time; its max RSS in KB (the last line time prints on
 * stderr), wall ms, and whether it had to be interrupted at `deadlineMs`.
 */
function measured(args, dbPath, deadlineMs) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(timeBin, ["-f", "%M", process.execPath, bin, "--db", dbPath, "--quiet", ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", HOOKCTL_SECRET: "bench-secret-0123456789" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    let killed = false;
    // Interrupt node itself (time's only child), so that time still reports what it used.
    const timer = setTimeout(() => {
      killed = true;
      try {
        const pids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8")
          .trim()
          .split(/\s+/);
        for (const pid of pids.filter(Boolean)) process.kill(Number(pid), "SIGINT");
      } catch {
        // It finished just now.
      }
    }, deadlineMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const lines = stderr.trim().split("\n");
      const kb = Number(lines.at(-1));
      if (!Number.isFinite(kb)) return reject(new Error(`no max RSS from ${timeBin}: ${stderr}`));
      if (code !== 0 && !killed)
        return reject(new Error(`hookctl ${args[0]} exited ${code}: ${lines.slice(-5).join(" | ")}`));
      resolve({ kb, ms, killed });
    });
  });
}

function logCounts(dbPath) {
  const db = openDb(dbPath, { mustExist: true });
  try {
    const one = (sql) => db.prepare(sql).pluck().get();
    return {
      succeeded: one("SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'"),
      pending: one("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'"),
      attempts: one("SELECT COUNT(*) FROM attempts"),
    };
  } finally {
    db.close();
  }
}

/** A row for a run's max RSS against the limit; `complete`: the log shows it did all it should. */
function rssRow(name, run, complete, note) {
  const mb = run.kb / 1024;
  return {
    name,
    value: `${fmt(mb, 1)} MB`,
    baseline: `${limitMb} MB`,
    ratio: mb / limitMb,
    target: `<= ${limitMb} MB`,
    met: mb <= limitMb && complete && !run.killed,
    note: `${run.killed ? `interrupted at the bench's ${fmt(run.ms / 1000, 0)} s bound, unfinished; ` : ""}${note}`,
  };
}

/** `done`: attempts this run recorded. */
function row(command, count, run, expected, found, done) {
  return rssRow(
    `max RSS of hookctl ${command} (${fmt(count)} deliveries, concurrency ${concurrency})`,
    run,
    found.succeeded === count && found.attempts === expected,
    `${fmt((done * 1000) / run.ms)} deliveries/s (${fmt(done)} attempts, process start to exit ${fmt(run.ms / 1000, 1)} s); ` +
      `log afterwards: ${fmt(found.succeeded)} succeeded, ${fmt(found.attempts)} attempts (expected ${fmt(count)} and ${fmt(expected)})`,
  );
}

/**
 * The requeue step of `replay --status succeeded` alone, on a copy of the log (the engine gets a
 * millisecond, so a few attempts may go out): everything but the sending.
 */
async function requeueOnly(count, dbPath, deadlineMs) {
  const copy = `${dbPath}.requeue`;
  copyFileSync(dbPath, copy);
  if (existsSync(`${dbPath}-wal`)) copyFileSync(`${dbPath}-wal`, `${copy}-wal`);
  try {
    const run = await measured(["replay", "--status", "succeeded", "--for", "1ms"], copy, deadlineMs);
    const found = logCounts(copy);
    return rssRow(
      `max RSS of hookctl replay --status succeeded --for 1ms, the requeue step (${fmt(count)} deliveries)`,
      run,
      // Every delivery pending again, but for the few the engine sent in its millisecond.
      found.succeeded + found.pending === count && found.pending > 0,
      `${fmt((count * 1000) / run.ms)} deliveries requeued/s (process start to exit ${fmt(run.ms / 1000, 1)} s); ` +
        `log afterwards: ${fmt(found.pending)} pending, ${fmt(found.succeeded)} succeeded`,
    );
  } finally {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${copy}${suffix}`, { force: true });
  }
}

export default async function bench({ quick }) {
  if (!existsSync(timeBin)) throw new Error(`${timeBin} is needed to measure a child's max RSS`);
  const count = quick ? 200_000 : 1_000_000;
  // A bound so that a stalled run cannot hang the bench; a run cut short is reported as such.
  const deadlineMs = (quick ? 90 : 300) * 1000;
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-memory-"));
  const dbPath = join(dir, "hookctl.db");
  const receiver = await startNoopReceiver();
  try {
    const sendArgs = ["send", receiver.url, "--count", String(count), "--concurrency", String(concurrency)];
    const send = await measured(sendArgs, dbPath, deadlineMs);
    const afterSend = logCounts(dbPath);
    const requeue = await requeueOnly(count, dbPath, deadlineMs);
    const replayArgs = ["replay", "--status", "succeeded", "--concurrency", String(concurrency)];
    const replay = await measured(replayArgs, dbPath, deadlineMs);
    const afterReplay = logCounts(dbPath);
    return [
      row("send", count, send, count, afterSend, afterSend.attempts),
      requeue,
      row(
        "replay --status succeeded (requeue all, then send again)",
        count,
        replay,
        2 * count,
        afterReplay,
        afterReplay.attempts - afterSend.attempts,
      ),
    ];
  } finally {
    receiver.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
