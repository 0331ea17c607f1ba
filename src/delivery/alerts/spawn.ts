import { spawn } from "node:child_process";
import type { CommandExit, CommandRun } from "./command-sink.js";

/** Enough stderr to find its first line; the rest is drained and dropped. */
const keptStderrBytes = 8 * 1024;

/**
 * The real RunCommand: `sh -c` in its own process group, so a timeout or a stop kills whatever
 * the command started too. Stdout goes nowhere; stderr is kept (its first line is the error).
 * Settles on the command's exit; a timed-out or abandoned one is killed and settles at once.
 */
export function runShellCommand(run: CommandRun): Promise<CommandExit> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", run.command], {
      cwd: run.cwd,
      env: run.env as NodeJS.ProcessEnv,
      stdio: ["pipe", "ignore", "pipe"],
      detached: true,
    });
    const kept: Buffer[] = [];
    let size = 0;
    child.stderr?.on("data", (chunk: Buffer) => {
      if (size >= keptStderrBytes) return;
      kept.push(chunk.subarray(0, keptStderrBytes - size));
      size += Math.min(chunk.length, keptStderrBytes - size);
    });
    const stderr = () => Buffer.concat(kept).toString("utf8");
    let settled = false;
    const settle = (exit: CommandExit) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onAbort);
      resolve(exit);
    };
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      settle({ timedOut: true, stderr: stderr() });
    }, run.timeoutMs);
    const onAbort = () => {
      killGroup();
      settle({ code: null, signal: "SIGKILL", stderr: stderr() });
    };
    run.signal.addEventListener("abort", onAbort, { once: true });
    if (run.signal.aborted) onAbort();
    child.on("error", (error) => settle({ code: 127, signal: null, stderr: error.message }));
    // Settled on 'close' (stderr fully read) unless something the command left behind keeps
    // stderr open: then the exit is what counts, a moment later.
    child.on("exit", (code, signal) => {
      const exit: CommandExit =
        code !== null
          ? { code, signal: null, stderr: "" }
          : { code: null, signal: signal ?? "SIGKILL", stderr: "" };
      const done = () => settle({ ...exit, stderr: stderr() });
      child.once("close", done);
      setTimeout(done, 100).unref();
    });
    // A command that does not read its stdin closes the pipe early: that is not a failure.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(run.stdin);
  });
}
