import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { CliContext } from "./context.js";

export interface PayloadSource {
  /** A path, or "-" for stdin. */
  file?: string;
  /** The payload given inline with --data. */
  data?: string;
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
  return readAll(ctx.stdin);
}

export function readFileArg(path: string, ctx: CliContext, what: string): Buffer {
  try {
    return readFileSync(resolve(ctx.cwd, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`cannot read ${what} ${path} (${code})`, "check the path", error);
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
