import { closeSync, constants, createReadStream, fstatSync, openSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { HookctlError, InterruptedError, UsageError } from "../errors.js";
import type { CliContext } from "./context.js";

export interface PayloadSource {
  /** A path, or "-" for stdin. */
  file?: string;
  /** The payload given inline with --data. */
  data?: string;
}

/**
 * The most hookctl reads of a payload or headers file (which may hold a captured request with
 * its body): far past any webhook, well short of running out of memory.
 */
export const maxPayloadBytes = 64 * 1024 * 1024;
/** The most it reads of a secret file. */
export const maxSecretFileBytes = 1024 * 1024;

/** "64 MiB", "1 MiB", "512 KiB": how a cap is named in an error. */
function sizeName(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/**
 * The payload as raw bytes: --data, a file, or stdin ("-", or piped with no file). Bytes are
 * returned untouched so signatures are computed over exactly what will be sent.
 */
export async function readPayload(source: PayloadSource, ctx: CliContext): Promise<Buffer> {
  if (source.data !== undefined && source.file !== undefined) {
    throw new UsageError("give the payload once: a file or --data, not both");
  }
  if (source.data !== undefined) return Buffer.from(source.data, "utf8");
  if (source.file !== undefined && source.file !== "-") return readFileArg(source.file, ctx, "payload file");
  if (source.file === undefined && ctx.stdin.isTTY) {
    throw new UsageError("no payload given", "pass a file, - for stdin, or --data '<json>'");
  }
  refuseDirectory(ctx.stdin, "stdin");
  return readAll(ctx.stdin, maxPayloadBytes, "the payload on stdin");
}

/**
 * `hookctl sign < somedir` hands the process a directory as stdin, which reads as empty: an
 * empty body would be signed and sent as if it were the payload.
 */
export function refuseDirectory(stream: Readable, what: string): void {
  const fd = (stream as Readable & { fd?: unknown }).fd;
  if (typeof fd !== "number") return;
  let directory = false;
  try {
    directory = fstatSync(fd).isDirectory();
  } catch {
    return; // not a file descriptor fstat understands: read it as a stream
  }
  if (directory)
    throw new UsageError(`${what} is a directory, not a payload`, "pipe the payload in, or name a file");
}

/**
 * A file named on the command line, read whole up to `limit` bytes. A FIFO, socket or terminal
 * is streamed through the event loop: one nobody writes to waits without holding up the process
 * (Ctrl-C ends the wait, exit 130), and a device like /dev/zero stops at the cap instead of
 * filling memory.
 */
export async function readFileArg(
  path: string,
  ctx: CliContext,
  what: string,
  limit = maxPayloadBytes,
): Promise<Buffer> {
  const cannotRead = (error: unknown) => {
    if (error instanceof HookctlError) return error;
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return new UsageError(`cannot read ${what} ${path} (${code})`, "check the path", error);
  };
  const label = `${what} ${path}`;
  let fd: number | undefined;
  let stream: Readable | undefined;
  let polled = false;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer with the whole process stopped.
    fd = openSync(resolve(ctx.cwd, path), constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (stat.isFile()) {
      // A regular file never waits: read it at once (the fast path `verify` in a CI loop takes).
      if (stat.size > limit) throw tooLarge(label, limit);
      const bytes = readFileSync(fd);
      if (bytes.length > limit) throw tooLarge(label, limit);
      return bytes;
    }
    polled = stat.isFIFO() || stat.isSocket() || (stat.isCharacterDevice() && (await terminal()).isatty(fd));
    stream = polled ? await polledStream(fd) : createReadStream("", { fd });
  } catch (error) {
    throw cannotRead(error);
  } finally {
    // A stream closes the descriptor it was given; otherwise it is ours to close.
    if (fd !== undefined && stream === undefined) closeSync(fd);
  }
  try {
    // Only a read that may wait takes charge of Ctrl-C; others finish on their own.
    return await readAll(stream, limit, label, polled ? ctx.signal : undefined);
  } catch (error) {
    throw cannotRead(error);
  }
}

/** node:tty, loaded only for the rare file that is a device. */
const terminal = () => import("node:tty");

/**
 * A FIFO, socket or terminal read by the event loop, not the thread pool: a read parked in the
 * pool until a writer shows up would keep even process.exit() from finishing. Devices that never
 * wait (/dev/zero, /dev/urandom) are read like files.
 */
async function polledStream(fd: number): Promise<Readable> {
  const tty = await terminal();
  if (tty.isatty(fd)) return new tty.ReadStream(fd);
  return new (await import("node:net")).Socket({ fd, readable: true, writable: false });
}

function tooLarge(what: string, limit: number): UsageError {
  return new UsageError(
    `${what} is larger than ${sizeName(limit)}`,
    `hookctl reads at most ${sizeName(limit)} of it; pass a smaller file`,
  );
}

/**
 * Everything a stream gives, refused once it passes `limit` bytes (`what` names it in the
 * error), or ended by `signal` as interrupted.
 */
export async function readAll(
  stream: Readable,
  limit: number,
  what: string,
  signal?: AbortSignal,
): Promise<Buffer> {
  const onAbort = () => stream.destroy(new InterruptedError());
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      size += bytes.length;
      // Leaving the loop destroys the stream: nothing more is read.
      if (size > limit) throw tooLarge(what, limit);
      chunks.push(bytes);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return Buffer.concat(chunks, size);
}
