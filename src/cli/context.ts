import type { Readable, Writable } from "node:stream";
import { ExitCode } from "../errors.js";

/** A writable terminal-ish stream: process.stdout in production, a capture in tests. */
export type OutStream = Writable & { isTTY?: boolean; columns?: number; rows?: number };
export type InStream = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/**
 * Everything a command touches outside its own arguments. main.ts builds it from `process`;
 * tests build it with captured streams, a fixed clock and a temp log.
 */
export interface CliContext {
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Milliseconds since the epoch. */
  now: () => number;
  randomBytes: (size: number) => Uint8Array;
  /**
   * Aborted on the first SIGINT/SIGTERM, with the signal's name as its reason; long-running
   * commands wind down and return 130 (servers: 0 after SIGTERM, see stopCode).
   */
  signal: AbortSignal;
}

/**
 * How a server that stopped on `signal` exits: 0 after SIGTERM (a service manager asked it to
 * stop, and it did, gracefully), 130 after SIGINT (a person interrupted it).
 */
export function stopCode(signal: AbortSignal): number {
  return signal.reason === "SIGTERM" ? ExitCode.ok : ExitCode.interrupted;
}
