import { resolve } from "node:path";
import type { Command } from "commander";
import { formatDuration } from "../../config/duration.js";
import { maskSecret, maskUrl } from "../../contract/mask.js";
import { UsageError } from "../../errors.js";
import { mulberry32 } from "../../receiver/prng.js";
import { pooledRandomBytes } from "../../receiver/random.js";
import { startReceiver } from "../../receiver/server.js";
import type {
  CaptureSink,
  FailureOptions,
  Receiver,
  ReceiverDeps,
  ReceiverOptions,
  RelayedReceiver,
  RequestEvent,
} from "../../receiver/types.js";
import { parseSchemeName, type SchemeName, SigningError } from "../../signing/index.js";
import { standardKey, utf8Key } from "../../signing/keys.js";
import { idFactory } from "../../store/ids.js";
import { checkBindHost, isLoopbackHost } from "../bind.js";
import { type CliContext, stopCode } from "../context.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { detailLines, listenRequestJson, requestLine, summaryLine, viewOfEvent } from "../render/received.js";
import { collectSecrets } from "../secrets.js";
import { checkReadyFile, interrupted, writeReadyFile } from "../server-lifecycle.js";
import { parseHttpUrl } from "../urls.js";
import { openListenLog } from "./listen-log.js";

export interface ListenFlags extends GlobalOptions {
  port: number;
  host: string;
  /** Only this path; any path when absent. */
  path?: string;
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
  /** `<relay-url>/c/<channel>`: take requests from a relay (listen-relay.ts). */
  from?: string;
  relayTokenFile?: string;
  fromStart?: boolean;
}

/** `hookctl listen`: run until SIGINT/SIGTERM, print the summary, exit 0 after SIGTERM and 130 after SIGINT. */
export async function runListen(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<ListenFlags>();
  checkReadyFile(flags.readyFile, ctx.cwd);
  if (flags.from !== undefined) {
    const { runListenFrom } = await import("./listen-relay.js");
    return runListenFrom(command, ctx, flags.from);
  }
  for (const [given, flag] of [
    [flags.relayTokenFile !== undefined, "--relay-token-file"],
    [flags.fromStart === true, "--from-start"],
  ] as const) {
    if (given)
      throw new UsageError(`${flag} is for --from`, "add --from <relay-url>/c/<channel>, or drop it");
  }
  const out = createOutput(ctx, flags);
  const { options, seed } = await receiverOptions(flags, ctx);
  const log = flags.store ? await openListenLog(flags, ctx, { cursors: false }) : null;
  try {
    const receiver = await startReceiver(options, receiverDeps(ctx, seed, log?.capture));
    return await receiveUntilStopped(receiver, out, flags, ctx, async () => {
      if (flags.readyFile) writeReadyFile(resolve(ctx.cwd, flags.readyFile), receiver.url);
      announce(out, receiver, flags, options, seed, log?.where ?? null);
      await interrupted(ctx.signal);
    });
  } finally {
    await log?.close();
  }
}

/**
 * Print requests while `run` runs (until SIGINT/SIGTERM), then close the receiver and print its
 * summary; the exit code a stopped server returns.
 */
export async function receiveUntilStopped(
  receiver: RelayedReceiver,
  out: Output,
  flags: ListenFlags,
  ctx: CliContext,
  run: () => Promise<void>,
): Promise<number> {
  let summary: ReturnType<RelayedReceiver["summary"]>;
  try {
    subscribe(receiver, out, flags);
    await run();
  } finally {
    summary = await receiver.close();
  }
  out.note(summaryLine(summary));
  return stopCode(ctx.signal);
}

/** The receiver's clock, seeded randomness, ids and capture, from the context. */
export function receiverDeps(ctx: CliContext, seed: number, capture: CaptureSink | undefined): ReceiverDeps {
  return {
    now: ctx.now,
    random: mulberry32(seed),
    ids: idFactory(ctx.now, pooledRandomBytes(ctx.randomBytes)),
    capture,
  };
}

/** Flags into receiver options, rejecting bad combinations with one clear line. */
export async function receiverOptions(
  flags: ListenFlags,
  ctx: CliContext,
): Promise<{ options: ReceiverOptions; seed: number }> {
  if (flags.path !== undefined && !flags.path.startsWith("/")) {
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
  // `:3000/hooks` and `localhost:3000` are read as the URLs they stand for, and shown so.
  if (flags.forwardTo !== undefined) flags.forwardTo = parseHttpUrl(flags.forwardTo, "--forward-to");
  const { host } = checkBindHost(flags.host);
  checkSlowClientLimits(flags);
  const secrets = await collectSecrets(flags, ctx);
  checkVerifyingSecrets(secrets, scheme);
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
      host,
      port: flags.port,
      path: flags.path ?? null,
      secrets,
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

/** 0 would turn Node's slow-client protection off: a client could hold a connection forever. */
function checkSlowClientLimits(flags: ListenFlags): void {
  for (const [flag, ms] of [
    ["--header-timeout", flags.headerTimeout],
    ["--request-timeout", flags.requestTimeout],
  ] as const) {
    if (ms < 1) {
      throw new UsageError(
        `${flag} must be longer than 0 (0 would let a slow client hold a connection forever)`,
        `give a duration such as ${flag} 10s`,
      );
    }
  }
}

/**
 * Secrets that could never verify anything are refused before the first request gets a 401:
 * empty ones, and ones the chosen scheme cannot read (a bad whsec_, an ed25519 key for an
 * HMAC scheme). With auto, a secret need only suit one scheme.
 */
function checkVerifyingSecrets(secrets: readonly string[], scheme: SchemeName | "auto"): void {
  secrets.forEach((secret, index) => {
    const parsers =
      scheme === "auto"
        ? [utf8Key, standardKey]
        : scheme === "standard" || scheme === "svix"
          ? [standardKey]
          : [utf8Key];
    let fault: string | undefined;
    for (const parse of parsers) {
      try {
        parse(secret, index);
        return;
      } catch (error) {
        if (!(error instanceof SigningError)) throw error;
        fault ??= error.message;
      }
    }
    throw new UsageError(
      `${fault ?? `secret #${index + 1} cannot verify anything`}${scheme === "auto" ? "" : ` (scheme ${scheme})`}`,
      "check the secret, or pick another --scheme",
    );
  });
}

/** Request lines (or JSON objects) and warnings, for requests from the port or a relay. */
export function subscribe(receiver: RelayedReceiver, out: Output, flags: ListenFlags): void {
  receiver.on("request", (event: RequestEvent) => {
    const view = viewOfEvent(event);
    if (out.json) {
      out.writeJson(listenRequestJson(view, event));
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
  // Once per outage: a 2xx that is not a duplicate was committed, so the log works again.
  let captureFailed = false;
  receiver.on("request", (event) => {
    if (event.id !== null && !event.duplicate && event.status !== null && event.status < 300)
      captureFailed = false;
  });
  receiver.on("capture-error", (error) => {
    if (captureFailed) return;
    captureFailed = true;
    out.note(
      `${out.style.warn("warning:")} cannot write to the log (${error.message}); answering 503 with Retry-After instead of 2xx until it can`,
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
  announceChecks(out, flags, options, seed, dbPath, true);
}

/** What is checked, captured, injected and forwarded: the notes after the first line. */
export function announceChecks(
  out: Output,
  flags: ListenFlags,
  options: ReceiverOptions,
  seed: number,
  dbPath: string | null,
  bound: boolean,
): void {
  if (bound && !isLoopbackHost(options.host ?? "127.0.0.1")) {
    out.note(
      out.style.warn(
        `  bound to ${options.host}: reachable from other machines, not only this one (--host 127.0.0.1 keeps it local)`,
      ),
    );
  }
  const secrets = options.secrets ?? [];
  const checks =
    secrets.length === 0
      ? "no secret: requests are accepted unverified"
      : `verifying signatures (scheme ${options.scheme}) with ${secrets.length === 1 ? "secret" : "secrets"} ${secrets.map(maskSecret).join(", ")}`;
  out.note(`  ${checks}; ${dbPath ? `capturing to ${dbPath}` : "not capturing (--no-store)"}`);
  const failure = options.failure ?? {};
  const injected: string[] = [];
  if (failure.first)
    injected.push(
      `fail first ${failure.first} attempt(s) of each delivery id (requests without one are not failed)`,
    );
  if (failure.rate) injected.push(`fail-rate ${failure.rate} (seed ${seed})`);
  if (failure.rate || failure.first)
    injected.push(failure.drop ? "by dropping the connection" : `with ${failure.status ?? 503}`);
  if (failure.retryAfterSeconds !== undefined) injected.push(`Retry-After ${failure.retryAfterSeconds}`);
  if (failure.delayMs) injected.push(`delay ${formatDuration(failure.delayMs)}`);
  if (injected.length > 0) out.note(`  injecting: ${injected.join(", ")}`);
  if (flags.forwardTo) out.note(`  forwarding to ${maskUrl(flags.forwardTo)}`);
}
