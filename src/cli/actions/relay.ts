import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createSecureContext } from "node:tls";
import type { Command } from "commander";
import type { RelayIngressJson } from "../../contract/schema/relay.js";
import { UsageError } from "../../errors.js";
import { escapeControl } from "../../format/escape.js";
import type { IngressEvent } from "../../relay/ingress.js";
import { startRetention } from "../../relay/retention.js";
import { startRelayServer } from "../../relay/server.js";
import { relayNewsOf, relayStoreOf } from "../../store/ports/relay.js";
import { checkBindHost } from "../bind.js";
import { type CliContext, stopCode } from "../context.js";
import { oneLine } from "../one-line.js";
import { createOutput, type GlobalOptions, type Output } from "../output.js";
import { formatBytes } from "../render/received.js";
import { checkReadyFile, interrupted, writeReadyFile } from "../server-lifecycle.js";
import { openLogFor } from "../store.js";

/**
 * How often a stream on a shared PostgreSQL log looks for requests another relay stored, should
 * a notification have been lost (the listening connection dropped): a fallback, not the path.
 */
const sharedLogPollMs = 5000;

interface RelayFlags extends GlobalOptions {
  host: string;
  port: number;
  readyFile?: string;
  cert?: string;
  key?: string;
  insecureHttp?: boolean;
  keep: number;
  maxBody: number;
  rate: number;
  maxStored: number;
}

/**
 * `hookctl relay`: the public side, until SIGINT/SIGTERM. One line per request that reached a
 * channel (stored or refused, and why); listeners coming and going on stderr. Stops in order:
 * no new requests, open streams ended, requests in progress committed and answered, log closed.
 */
export async function runRelay(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<RelayFlags>();
  const out = createOutput(ctx, flags);
  checkReadyFile(flags.readyFile, ctx.cwd);
  const { host, loopback } = checkBindHost(flags.host);
  const tls = readTls(flags, ctx);
  if (!loopback && !tls && !flags.insecureHttp) {
    throw new UsageError(
      `refusing to serve plain HTTP on ${host}, which other machines can reach`,
      "give --cert/--key for HTTPS, or --insecure-http behind a TLS proxy",
    );
  }
  const log = await openLogFor(flags, ctx, { poolSize: 8 });
  // A 2xx must survive a power loss: each commit is fsynced. PostgreSQL's own settings decide there.
  if (log.backend === "sqlite") log.db.pragma("synchronous = FULL");
  const store = relayStoreOf(log);
  let stored = 0;
  try {
    const server = await startRelayServer({
      store,
      // Another relay on the same PostgreSQL log stores requests this one's streams must see:
      // told at each commit (NOTIFY), and looked for every few seconds in case a notice was lost.
      news: relayNewsOf(log),
      pollMs: log.backend === "postgres" ? sharedLogPollMs : undefined,
      now: ctx.now,
      host,
      port: flags.port,
      tls,
      defaults: { maxBodyBytes: flags.maxBody, ratePerSecond: flags.rate, maxStoredBytes: flags.maxStored },
      onIngress: (event) => {
        if (event.seq !== null) stored++;
        renderIngress(out, event);
      },
      onStream: ({ channel, after, open }) =>
        out.note(open ? `listener connected to ${channel} (after seq ${after})` : `listener left ${channel}`),
      onError: (error) => out.note(`${out.style.fail("error:")} ${oneLine(String(error))} (answered 500)`),
    });
    const retention = startRetention({
      store,
      now: ctx.now,
      keepMs: flags.keep,
      onError: (error) => out.note(`${out.style.warn("warning:")} retention: ${oneLine(String(error))}`),
    });
    try {
      out.note(`relay on ${server.url}  (log ${log.where}; Ctrl-C to stop)`);
      out.note(
        `  providers post to ${server.url}/c/<channel>; listeners: hookctl listen --from ${server.url}/c/<channel>`,
      );
      if (!loopback) {
        out.note(
          out.style.warn(`  bound to ${host}: reachable from other machines${tls ? "" : " over plain HTTP"}`),
        );
      }
      if (flags.readyFile) writeReadyFile(resolve(ctx.cwd, flags.readyFile), server.url);
      await interrupted(ctx.signal);
    } finally {
      await server.close();
      await retention.stop();
    }
    out.note(`stopped: ${stored} ${stored === 1 ? "request" : "requests"} stored`);
    return stopCode(ctx.signal);
  } finally {
    await log.close();
  }
}

function readTls(flags: RelayFlags, ctx: CliContext): { cert: Buffer; key: Buffer } | undefined {
  if (flags.cert === undefined && flags.key === undefined) return undefined;
  if (flags.cert === undefined || flags.key === undefined) {
    throw new UsageError(
      "--cert and --key go together",
      "give both PEM files, the certificate chain and its key",
    );
  }
  const read = (path: string, what: string) => {
    try {
      return readFileSync(resolve(ctx.cwd, path));
    } catch (error) {
      throw new UsageError(
        `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
        "check the path",
        error,
      );
    }
  };
  const pair = { cert: read(flags.cert, "certificate"), key: read(flags.key, "key") };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new UsageError(
      `--cert/--key are not a usable TLS pair: ${oneLine((error as Error).message)}`,
      "give the PEM certificate chain and its private key",
      error,
    );
  }
  return pair;
}

/** One line per request on a channel's URL (--json: the relay-ingress shape). */
function renderIngress(out: Output, event: IngressEvent): void {
  const receivedAt = new Date(event.at).toISOString();
  if (out.json) {
    const { channel, seq, method, path, statusCode, bytes, reason } = event;
    const json: RelayIngressJson = { channel, seq, method, path, statusCode, bytes, receivedAt, reason };
    out.writeJson(json);
    return;
  }
  const where = `${escapeControl(event.channel)} ${event.method} ${escapeControl(event.path).slice(0, 120)}`;
  if (event.seq !== null) {
    out.line(
      `${receivedAt}  ${out.style.ok(String(event.statusCode))} ${where} #${event.seq} ${formatBytes(event.bytes)}`,
    );
  } else {
    out.line(`${receivedAt}  ${out.style.fail(String(event.statusCode))} ${where}: ${event.reason ?? ""}`);
  }
}
