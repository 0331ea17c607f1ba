import { renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { type CaptureThread, createCaptureThread } from "../../receiver/capture-thread.js";
import { mulberry32 } from "../../receiver/prng.js";
import { pooledRandomBytes } from "../../receiver/random.js";
import { startReceiver } from "../../receiver/server.js";
import type { FailureOptions, Receiver, ReceiverOptions, RequestEvent } from "../../receiver/types.js";
import { parseSchemeName, type SchemeName } from "../../signing/index.js";
import { idFactory } from "../../store/ids.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { detailLines, requestJson, requestLine, summaryLine, viewOfEvent } from "../render/received.js";
import { collectSecrets, maskSecret } from "../secrets.js";
import { openStoreFor } from "../store.js";

export interface ListenFlags extends GlobalOptions {
  port: number;
  host: string;
  path: string;
  readyFile?: string;
  secret?: string[];
  secretFile?: string;
  scheme: string;
  /** Milliseconds. */
  tolerance: number;
  failRate?: number;
  seed?: number;
  failStatus?: number;
  failFirst?: number;
  delay?: number;
  retryAfter?: number;
  drop?: boolean;
  forwardTo?: string;
  maxBody: number;
  headerTimeout: number;
  requestTimeout: number;
  maxConcurrent: number;
  store: boolean;
  verbose?: boolean;
}

/** `hookctl listen`: run until SIGINT/SIGTERM, then print the summary and exit 130. */
export async function runListen(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ListenFlags>();
  const out = createOutput(ctx, flags);
  const { options, seed } = receiverOptions(flags, ctx);
  // Opened here for its checks (path, 0600, migrations); the capture thread writes on its own connection.
  const store = flags.store ? openStoreFor(flags, ctx) : null;
  store?.db.close();
  const capture: CaptureThread | undefined = store ? createCaptureThread(store.path) : undefined;
  try {
    const receiver = await startReceiver(options, {
      now: ctx.now,
      random: mulberry32(seed),
      ids: idFactory(ctx.now, pooledRandomBytes(ctx.randomBytes)),
      capture,
    });
    let summary: ReturnType<Receiver["summary"]>;
    try {
      subscribe(receiver, out, flags);
      if (flags.readyFile) writeReadyFile(resolve(ctx.cwd, flags.readyFile), receiver.url);
      announce(out, receiver, flags, options, seed, store?.path ?? null);
      await interrupted(ctx.signal);
    } finally {
      summary = await receiver.close();
    }
    out.note(summaryLine(summary));
    return 130;
  } finally {
    await capture?.close();
  }
}

/** Flags into receiver options, rejecting bad combinations with one clear line. */
export function receiverOptions(
  flags: ListenFlags,
  ctx: CliContext,
): { options: ReceiverOptions; seed: number } {
  if (!flags.path.startsWith("/")) {
    throw new UsageError(
      `--path must start with "/" (got ${JSON.stringify(flags.path)})`,
      "e.g. --path /webhooks",
    );
  }
  let scheme: SchemeName | "auto" = "auto";
  if (flags.scheme !== "auto") {
    const parsed = parseSchemeName(flags.scheme);
    if (!parsed)
      throw new UsageError(`unknown scheme ${JSON.stringify(flags.scheme)}`, "see hookctl listen --help");
    scheme = parsed;
  }
  if (flags.forwardTo !== undefined) checkUrl(flags.forwardTo);
  const failure: FailureOptions = {
    rate: flags.failRate,
    first: flags.failFirst,
    status: flags.failStatus,
    drop: flags.drop === true,
    retryAfterSeconds: flags.retryAfter,
    delayMs: flags.delay,
  };
  // --fail-status or --drop on their own ask for every request to fail that way.
  if (failure.rate === undefined && !failure.first && (flags.drop || flags.failStatus !== undefined)) {
    failure.rate = 1;
  }
  const seed = flags.seed ?? Buffer.from(ctx.randomBytes(4)).readUInt32BE(0);
  return {
    seed,
    options: {
      host: flags.host,
      port: flags.port,
      path: flags.path,
      secrets: collectSecrets(flags, ctx),
      scheme,
      toleranceSeconds: flags.tolerance / 1000,
      failure,
      forwardTo: flags.forwardTo,
      limits: {
        maxBodyBytes: flags.maxBody,
        headersTimeoutMs: flags.headerTimeout,
        requestTimeoutMs: flags.requestTimeout,
        maxConcurrent: flags.maxConcurrent,
      },
    },
  };
}

function checkUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--forward-to ${JSON.stringify(text)} is not a URL`,
      "e.g. --forward-to http://localhost:3000/webhooks",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--forward-to must be an http(s) URL (got ${url.protocol})`);
  }
}

function subscribe(receiver: Receiver, out: Output, flags: ListenFlags): void {
  receiver.on("request", (event: RequestEvent) => {
    const view = viewOfEvent(event);
    if (out.json) {
      out.writeJson(requestJson(view, { headers: event.headers, body: event.body, attempt: event.attempt }));
      return;
    }
    out.line(requestLine(view, out.style));
    if (flags.verbose) {
      for (const line of detailLines(event.headers, event.body, out.style)) out.line(line);
      if (event.forward && event.forward.error === null) {
        out.line(`    ${out.style.accent(`app answered ${event.forward.status}:`)}`);
        for (const line of detailLines(event.forward.headers, event.forward.body, out.style)) out.line(line);
      }
    }
  });
  receiver.on("client-error", (event) => {
    out.note(`${out.style.fail("refused")} ${event.reason}${event.status ? ` (${event.status})` : ""}`);
  });
  let captureFailed = false;
  receiver.on("capture-error", (error) => {
    if (captureFailed) return;
    captureFailed = true;
    out.note(
      `${out.style.warn("warning:")} cannot write to the log (${error.message}); requests are still answered`,
    );
  });
}

function announce(
  out: Output,
  receiver: Receiver,
  flags: ListenFlags,
  options: ReceiverOptions,
  seed: number,
  dbPath: string | null,
): void {
  out.note(`listening on ${receiver.url}  (Ctrl-C to stop)`);
  const secrets = options.secrets ?? [];
  const checks =
    secrets.length === 0
      ? "no secret: requests are accepted unverified"
      : `verifying signatures (scheme ${options.scheme}) with ${secrets.length === 1 ? "secret" : "secrets"} ${secrets.map(maskSecret).join(", ")}`;
  out.note(`  ${checks}; ${dbPath ? `capturing to ${dbPath}` : "not capturing (--no-store)"}`);
  const failure = options.failure ?? {};
  const injected: string[] = [];
  if (failure.first) injected.push(`fail first ${failure.first} attempt(s) of each delivery`);
  if (failure.rate) injected.push(`fail-rate ${failure.rate} (seed ${seed})`);
  if (failure.rate || failure.first)
    injected.push(failure.drop ? "by dropping the connection" : `with ${failure.status ?? 503}`);
  if (failure.retryAfterSeconds !== undefined) injected.push(`Retry-After ${failure.retryAfterSeconds}`);
  if (failure.delayMs) injected.push(`delay ${failure.delayMs}ms`);
  if (injected.length > 0) out.note(`  injecting: ${injected.join(", ")}`);
  if (flags.forwardTo) out.note(`  forwarding to ${flags.forwardTo}`);
}

/** Written whole or not at all, so a script polling the file never reads half a URL. */
function writeReadyFile(path: string, url: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${url}\n`);
    renameSync(temp, path);
  } catch (error) {
    throw new UsageError(
      `cannot write the ready file ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      "check --ready-file's directory",
      error,
    );
  }
}

function interrupted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
