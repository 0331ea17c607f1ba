import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

/** The built binary: e2e tests run exactly what users run (`npm test` builds first). */
export const binPath = fileURLToPath(new URL("../../bin/hookctl.js", import.meta.url));

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export interface BinOptions {
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /**
   * Kill the command after this long. Without it the test's own timeout is the only bound: a
   * fixed default shorter than that killed slow but healthy commands on a loaded machine. A
   * command still running when its test ends is killed then.
   */
  timeoutMs?: number;
}

const unfinished = new Set<ChildProcess>();

afterEach(() => {
  for (const child of unfinished) child.kill("SIGKILL");
  unfinished.clear();
});

/** Spawn `node bin/hookctl.js ...args` and collect everything it printed. */
export function runBin(args: string[], options: BinOptions = {}): Promise<BinResult> {
  const child = spawnBin(args, options);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
  if (options.input !== undefined) child.stdin?.end(options.input);
  else child.stdin?.end();
  unfinished.add(child);
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      unfinished.delete(child);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        stdoutBytes,
      });
    });
  });
}

/** Start the binary and hand back the process, for long-running commands (listen, replay --watch). */
export function spawnBin(args: string[], options: BinOptions = {}): ChildProcess {
  return spawn(process.execPath, [binPath, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", HOOKCTL_SECRET: undefined, HOOKCTL_DB: undefined, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Poll `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
