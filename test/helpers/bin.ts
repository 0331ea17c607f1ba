import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
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

/** A long-running command (listen, serve, relay) started from the built binary. */
export interface ReadyServer {
  child: ChildProcess;
  /** What its ready file says (the URL it serves on). */
  url: string;
  /** stdout and stderr so far, decoded as UTF-8 across chunk boundaries. */
  output: { stdout: string; stderr: string };
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
}

/**
 * Start `args` (which include `--ready-file <readyFile>`) and wait until the command writes its
 * ready file; it exiting first fails at once with its stderr. Its output is read all along, so a
 * chatty server never blocks on a full pipe. On failure the process is killed.
 */
export async function spawnReady(
  args: string[],
  readyFile: string,
  options: BinOptions & { what: string },
): Promise<ReadyServer> {
  const child = spawnBin(args, options);
  const output = { stdout: "", stderr: "" };
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    const url = await waitFor(
      () => {
        if (child.exitCode !== null)
          throw new Error(`${options.what} exited ${child.exitCode}: ${output.stderr}`);
        return existsSync(readyFile) ? readFileSync(readyFile, "utf8").trim() : undefined;
      },
      15_000,
      `${options.what}'s ready file (stderr: ${output.stderr})`,
    );
    return { child, url, output, exited };
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    throw error;
  }
}
