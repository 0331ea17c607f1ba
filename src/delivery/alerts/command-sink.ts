import { oneLine } from "./runner.js";
import type { AlertSink, SinkAnswer } from "./types.js";

/** How one command ended. */
export type CommandExit =
  | { code: number; signal: null; stderr: string }
  | { code: null; signal: string; stderr: string }
  | { timedOut: true; stderr: string };

/** What a command is started with: its stdin bytes, environment and directory. */
export interface CommandRun {
  command: string;
  stdin: string;
  env: Record<string, string | undefined>;
  cwd: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Runs a shell command to its end (or its timeout); injected so tests need no processes. */
export type RunCommand = (run: CommandRun) => Promise<CommandExit>;

export interface CommandSinkOptions {
  /** The process's environment, to which the alert's variables are added. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Default 30 s: a command still running then has failed (killed, retried later). */
  timeoutMs?: number;
  run: RunCommand;
}

export const defaultCommandTimeoutMs = 30_000;

/**
 * `--on-dead <command>`: `sh -c <command>` with the alert as one JSON line on stdin and
 * HOOKCTL_ALERT_ID / HOOKCTL_DELIVERY_ID set. Exit 0 confirms it; anything else (a non-zero
 * exit, a signal, the timeout) is a failed try whose last_error is the first line of stderr.
 */
export function commandSink(command: string, options: CommandSinkOptions): AlertSink {
  const timeoutMs = options.timeoutMs ?? defaultCommandTimeoutMs;
  return {
    name: `command:${command}`,
    label: `command:${command}`,
    async send(message, signal): Promise<SinkAnswer> {
      const exit = await options.run({
        command,
        stdin: `${message.body}\n`,
        env: {
          ...options.env,
          HOOKCTL_ALERT_ID: message.alert.id,
          HOOKCTL_DELIVERY_ID: message.alert.deliveryId,
        },
        cwd: options.cwd,
        timeoutMs,
        signal,
      });
      return answerOf(exit, timeoutMs);
    },
  };
}

function answerOf(exit: CommandExit, timeoutMs: number): SinkAnswer {
  if ("timedOut" in exit) return { ok: false, error: `no exit within ${timeoutMs} ms; killed` };
  if (exit.code === 0) return { ok: true };
  const said = oneLine(exit.stderr);
  if (said) return { ok: false, error: said };
  return { ok: false, error: exit.code !== null ? `exit status ${exit.code}` : `killed by ${exit.signal}` };
}
