import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, createWriteStream, existsSync, openSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sign } from "../../src/signing/index.js";
import { binPath, runBin, spawnBin, waitFor } from "../helpers/bin.js";
import { tempDir } from "../helpers/tmp.js";

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function fifo(): string {
  const path = join(tempDir(), "input.fifo");
  execFileSync("mkfifo", [path]);
  return path;
}

/** Whether `pid` holds `path` open: the FIFO is open, the child is waiting on it. */
function holdsOpen(pid: number, path: string): boolean {
  const dir = `/proc/${pid}/fd`;
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((fd) => {
    try {
      return readlinkSync(join(dir, fd)) === path;
    } catch {
      return false;
    }
  });
}

function finished(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve) =>
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    ),
  );
}

function expectOneLine(stderr: string, pattern: RegExp) {
  expect(stderr.split("\n")).toHaveLength(2);
  expect(stderr).toMatch(pattern);
}

describe.skipIf(!existsSync("/proc/self/fd"))("files that never end: FIFOs and devices", () => {
  it("Ctrl-C while waiting on a FIFO nobody writes to exits 130, whichever flag named it", async () => {
    const cases: [string, (path: string) => string[]][] = [
      ["payload", (path) => ["sign", path, "--secret", "s"]],
      ["--secret-file", (path) => ["sign", "--data", "x", "--secret-file", path]],
      ["--headers-file", (path) => ["verify", "--data", "x", "--secret", "s", "--headers-file", path]],
    ];
    for (const [what, argv] of cases) {
      const path = fifo();
      const child = spawnBin(argv(path));
      running.push(child);
      const done = finished(child);
      await waitFor(() => (holdsOpen(child.pid as number, path) ? true : undefined), 10_000, `${what} open`);
      child.kill("SIGINT");
      const result = await done;
      expect(result.code, `${what}: ${result.stderr}`).toBe(130);
      expectOneLine(result.stderr, /^hookctl: interrupted/);
    }
  });

  it("a FIFO read while its writer takes its time gives every byte", async () => {
    const path = fifo();
    const child = spawnBin([
      "sign",
      path,
      "--secret",
      "s3cret",
      "--id",
      "m",
      "--timestamp",
      "1",
      "--format",
      "value",
    ]);
    running.push(child);
    const done = finished(child);
    await waitFor(() => (holdsOpen(child.pid as number, path) ? true : undefined), 10_000, "payload open");
    const writer = createWriteStream(path);
    writer.write('{"part":1,');
    await new Promise((resolve) => setImmediate(resolve));
    writer.end('"part":2}');
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    const expected = sign({
      scheme: "hookctl",
      body: Buffer.from('{"part":1,"part":2}'),
      secrets: ["s3cret"],
      id: "m",
      timestamp: 1,
    }).headers["X-Signature"];
    expect(result.stdout.trim()).toBe(expected);
  });

  it("/dev/zero as a payload, stdin, --secret-file or --headers-file stops at the cap: one line, exit 2", async () => {
    const cases: [RegExp, string[]][] = [
      [/^hookctl: payload file \/dev\/zero is larger than 64 MiB — /, ["sign", "/dev/zero", "--secret", "s"]],
      [
        /^hookctl: secret file \/dev\/zero is larger than 1 MiB — /,
        ["sign", "--data", "x", "--secret-file", "/dev/zero"],
      ],
      [
        /^hookctl: headers file \/dev\/zero is larger than 64 MiB — /,
        ["verify", "--data", "x", "--secret", "s", "--headers-file", "/dev/zero"],
      ],
    ];
    for (const [message, argv] of cases) {
      const result = await runBin(argv);
      expect(result.code, result.stderr).toBe(2);
      expectOneLine(result.stderr, message);
    }
    const zero = openSync("/dev/zero", "r");
    try {
      const child = spawn(process.execPath, [binPath, "send", "http://127.0.0.1:9/", "-"], {
        stdio: [zero, "pipe", "pipe"],
        env: { ...process.env, HOOKCTL_DB: join(tempDir(), "log.db") },
      });
      running.push(child);
      const result = await finished(child);
      expect(result.code, result.stderr).toBe(2);
      expectOneLine(result.stderr, /^hookctl: the payload on stdin is larger than 64 MiB — /);
    } finally {
      closeSync(zero);
    }
  });
});
