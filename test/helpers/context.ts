import { randomBytes } from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import type { CliContext, InStream, OutStream } from "../../src/cli/context.js";
import { run } from "../../src/cli/main.js";

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestContextOptions {
  stdin?: string | Buffer;
  env?: Record<string, string | undefined>;
  now?: () => number;
  cwd?: string;
  signal?: AbortSignal;
  /** Pretend stdin/stdout are terminals. */
  tty?: boolean;
}

function capture(tty: boolean): { stream: OutStream; text: () => string } {
  const stream = new PassThrough() as PassThrough & OutStream;
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.isTTY = tty;
  stream.columns = 100;
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** A CliContext with captured output, for running commands in-process. */
export function testContext(options: TestContextOptions = {}) {
  const out = capture(options.tty === true);
  const err = capture(options.tty === true);
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]) as InStream;
  stdin.isTTY = options.tty === true || options.stdin === undefined;
  const ctx: CliContext = {
    stdin,
    stdout: out.stream,
    stderr: err.stream,
    env: { NO_COLOR: "1", ...options.env },
    cwd: options.cwd ?? process.cwd(),
    now: options.now ?? (() => Date.now()),
    randomBytes: (size) => randomBytes(size),
    signal: options.signal ?? new AbortController().signal,
  };
  return { ctx, stdout: out.text, stderr: err.text };
}

/** Run hookctl in-process with argv and return its exit code and output. */
export async function runCli(argv: string[], options: TestContextOptions = {}): Promise<Captured> {
  const { ctx, stdout, stderr } = testContext(options);
  const code = await run(argv, ctx);
  // Let the PassThrough streams deliver what was written.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout(), stderr: stderr() };
}
