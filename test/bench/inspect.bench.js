// inspect: time to first frame and per-keystroke render time with 100,000 dead letters vs 100.
// Targets (issue 6): first frame < 1 s; per-key time within 2x of the 100-row case.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../dist/store/open.js";
import { median } from "./stats.js";

// As `hookctl inspect` does: React's production build (loaded below, after this is set).
process.env.NODE_ENV ??= "production";
const { render } = await import("ink-testing-library");
const { createElement } = await import("react");
const { App } = await import("../../dist/tui/App.js");
const { createInspectStore } = await import("../../dist/tui/inspect-store.js");
const { KEY } = await import("../../dist/tui/keys.js");

const now = Date.UTC(2025, 2, 1, 12, 0, 0);

/**
 * `count` dead letters (with their events and one failed attempt each) in one statement per
 * table: recursive CTEs, no JavaScript loop. Ids are zero-padded so they sort like ULIDs.
 */
export function seedDeadLetters(db, count) {
  const series = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)";
  db.transaction(() => {
    db.prepare(`${series}
      INSERT INTO events (id, type, body, content_type, created_at)
      SELECT printf('evt_%026d', i), 'order.created.' || (i % 50), CAST('{"id":' || i || ',"amount":42}' AS BLOB),
        'application/json', @now - (@count - i) * 1000 FROM n`).run({ count, now });
    db.prepare(`${series}
      INSERT INTO deliveries (id, event_id, url, scheme, policy, timeout_ms, status, attempt_count, schedule_attempts,
        next_trigger, last_status_code, last_error_class, last_error, created_at, updated_at, completed_at)
      SELECT printf('dlv_%026d', i), printf('evt_%026d', i), 'http://127.0.0.1:9/hooks/' || (i % 7), 'hookctl', '{}', 5000,
        'dead', 11, 11, 'scheduled', 503, 'http', 'HTTP 503', @now - (@count - i) * 1000, @now, @now FROM n`).run(
      {
        count,
        now,
      },
    );
    db.prepare(`${series}
      INSERT INTO attempts (delivery_id, number, trigger, url, request_headers, started_at, duration_ms, status_code,
        response_body, error_class, error_message)
      SELECT printf('dlv_%026d', i), 1, 'initial', 'http://127.0.0.1:9/hooks', '{"content-type":"application/json"}',
        @now - (@count - i) * 1000, 12.5, 503, CAST('{"error":"unavailable"}' AS BLOB), 'http', 'HTTP 503' FROM n`).run(
      {
        count,
        now,
      },
    );
  })();
}

const keys = [
  KEY.down,
  KEY.down,
  "j",
  KEY.pageDown,
  "j",
  KEY.up,
  KEY.pageUp,
  "k",
  "G",
  "k",
  "g",
  KEY.pageDown,
];

async function measure(count, rounds) {
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-inspect-"));
  try {
    const seedDb = openDb(join(dir, "hookctl.db"));
    seedDeadLetters(seedDb, count);
    seedDb.close();

    const started = performance.now();
    const db = openDb(join(dir, "hookctl.db"));
    const app = render(
      createElement(App, {
        store: createInspectStore(db, () => now),
        now: () => now,
        rows: 40,
        columns: 120,
        color: false,
        // A quiet poller: this measures keystrokes, not the once-a-second refresh.
        pollMs: 60_000,
      }),
    );
    while (!(app.lastFrame() ?? "").includes("q quit")) await new Promise((resolve) => setImmediate(resolve));
    const firstFrameMs = performance.now() - started;

    // Ink subscribes to input in an effect after the first render.
    await new Promise((resolve) => setImmediate(resolve));
    const times = [];
    for (let round = 0; round < rounds; round++) {
      for (const key of keys) {
        const frames = app.frames.length;
        const t0 = performance.now();
        app.stdin.write(key);
        while (app.frames.length === frames) await new Promise((resolve) => setImmediate(resolve));
        times.push(performance.now() - t0);
      }
    }
    if (!(app.lastFrame() ?? "").includes(`Dead ${count.toLocaleString("en-US")}`)) {
      throw new Error(`unexpected frame:\n${app.lastFrame()}`);
    }
    app.unmount();
    db.close();
    // The first round warms the JIT and SQLite's page cache; it is not counted.
    return { firstFrameMs, keyMs: median(times.slice(keys.length)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a user waits for: a new process running `hookctl inspect` through the CLI bundle
 * (`run(argv, ctx)` of dist/app/main.cjs, as the binary does) in a fake 120×40 terminal, from
 * spawn until the first frame with rows is drawn. A real TTY would need a pty library.
 */
const coldSource = `
  const { PassThrough, Writable } = require("node:stream");
  const [main, db] = process.argv.slice(1);
  let screen = "";
  const stdout = new Writable({ write(chunk, _encoding, done) {
    screen += chunk;
    if (screen.includes("q quit")) { process.stderr.write("first-frame\\n"); screen = ""; stdin.write("q"); }
    done();
  } });
  Object.assign(stdout, { isTTY: true, columns: 120, rows: 40 });
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode() { return this; }, ref() {}, unref() {} });
  const ctx = { stdin, stdout, stderr: process.stderr, env: { ...process.env, NO_COLOR: "1" }, cwd: process.cwd(),
    now: () => Date.now(), randomBytes: (n) => require("node:crypto").randomBytes(n), signal: new AbortController().signal };
  require(main).run(["--db", db, "inspect"], ctx).then((code) => process.exit(code));
`;

function coldStart(dbPath) {
  const main = new URL("../../dist/app/main.cjs", import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["-e", coldSource, main, dbPath], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let firstFrameMs;
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      if (firstFrameMs === undefined && stderr.includes("first-frame"))
        firstFrameMs = performance.now() - started;
    });
    child.on("close", (code) =>
      code === 0 && firstFrameMs !== undefined
        ? resolve(firstFrameMs)
        : reject(new Error(`cold inspect: ${stderr}`)),
    );
  });
}

async function coldStarts(count, runs) {
  const dir = mkdtempSync(join(tmpdir(), "hookctl-bench-inspect-"));
  try {
    const db = openDb(join(dir, "hookctl.db"));
    seedDeadLetters(db, count);
    db.close();
    const times = [];
    for (let run = 0; run < runs; run++) times.push(await coldStart(join(dir, "hookctl.db")));
    return median(times);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function bench({ quick }) {
  const rounds = quick ? 4 : 12;
  // Warm-up: the first render in a process pays for loading and compiling Ink and React.
  await measure(100, 1);
  const small = await measure(100, rounds);
  const large = await measure(100_000, rounds);
  const ms = (value) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
  const keyRatio = large.keyMs / small.keyMs;
  const coldRuns = quick ? 3 : 7;
  const coldSmall = await coldStarts(100, coldRuns);
  const coldLarge = await coldStarts(100_000, coldRuns);
  return [
    {
      name: "cold start: new process to first frame, 100,000 dead letters (CLI bundle, fake terminal)",
      value: ms(coldLarge),
      baseline: `${ms(coldSmall)} (100 rows)`,
      ratio: coldLarge / coldSmall,
      target: "< 1 s",
      met: coldLarge < 1000,
      note: `median of ${coldRuns}; node start, the CLI bundle, the UI bundle (Ink, React), opening the log, first render`,
    },
    {
      name: "time to first frame in a warm process, 100,000 dead letters (open log + first render)",
      value: ms(large.firstFrameMs),
      baseline: `${ms(small.firstFrameMs)} (100 rows)`,
      ratio: large.firstFrameMs / small.firstFrameMs,
      target: "< 1 s",
      met: large.firstFrameMs < 1000,
      note: "",
    },
    {
      name: "per-keystroke render, 100,000 vs 100 dead letters (median)",
      value: ms(large.keyMs),
      baseline: ms(small.keyMs),
      ratio: keyRatio,
      target: "<= 2",
      met: keyRatio <= 2,
      note: `${keys.length * (rounds - 1)} keys each: ↓ j PgDn ↑ PgUp k G g`,
    },
  ];
}
