import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { createRelayedReceiver, startReceiver } from "../../receiver/server.js";
import type { RelayedReceiver } from "../../receiver/types.js";
import { type RelayClientEvent, runRelayClient } from "../../relay/client.js";
import { parseRelaySource, type RelaySource } from "../../relay/source.js";
import type { CliContext } from "../context.js";
import { createOutput, type Output } from "../output.js";
import { readListFile } from "../secrets.js";
import { writeReadyFile } from "../server-lifecycle.js";
import {
  announceChecks,
  type ListenFlags,
  receiverDeps,
  receiverOptions,
  receiveUntilStopped,
} from "./listen.js";
import { holdSource, type SourceHold } from "./listen-hold.js";
import { openListenLog } from "./listen-log.js";

/** The variable `listen --from` reads the channel token from when --relay-token-file is absent. */
export const relayTokenVariable = "HOOKCTL_RELAY_TOKEN";

/**
 * `hookctl listen --from <relay>/c/<channel>`: the same pipeline as `listen`, fed by a relay's
 * stream instead of (or, with an explicit --port, as well as) a local port. Runs until
 * SIGINT/SIGTERM; a refused token or unknown channel ends it with a UsageError.
 */
export async function runListenFrom(command: Command, ctx: CliContext, from: string): Promise<number> {
  const flags = command.optsWithGlobals<ListenFlags>();
  const out = createOutput(ctx, flags);
  const source = parseRelaySource(from);
  const token = await relayToken(flags, ctx);
  const { options, seed } = await receiverOptions(flags, ctx);
  // A local port only when asked for: the relay is the way in.
  const withPort = command.getOptionValueSource("port") === "cli";
  const log = flags.store ? await openListenLog(flags, ctx, { cursors: true }) : null;
  // Another listener taking this source over (this one stalled past its hold) stops this one.
  const lost = new AbortController();
  let hold: SourceHold | undefined;
  try {
    if (log) {
      const holder = Buffer.from(ctx.randomBytes(12)).toString("hex");
      hold = await holdSource(log.store, source.url, { now: ctx.now, holder, onLost: () => lost.abort() });
    }
    if (flags.fromStart) await log?.store.forgetRelayCursor(source.url);
    const deps = receiverDeps(ctx, seed, log?.capture);
    const receiver: RelayedReceiver & { url?: string } = withPort
      ? await startReceiver(options, deps)
      : await createRelayedReceiver(options, deps);
    // At once, not after the stream winds down: requests still waiting for the app are left for
    // the next start instead of each waiting out its forward.
    const stopped = AbortSignal.any([ctx.signal, lost.signal]);
    stopped.addEventListener("abort", () => void receiver.close(), { once: true });
    return await receiveUntilStopped(receiver, out, flags, ctx, async () => {
      out.note(
        `receiving from ${source.url}${receiver.url ? ` and on ${receiver.url}` : ""}  (Ctrl-C to stop)`,
      );
      announceChecks(out, flags, options, seed, log?.where ?? null, withPort);
      let ready = false;
      await runRelayClient(
        { source, token },
        {
          handle: (request, body, previous) =>
            receiver.handleRelayed({
              method: request.method,
              path: request.path,
              query: request.query,
              headers: request.headers.map(({ name, value }) => [name, value]),
              body,
              receivedAt: Date.parse(request.receivedAt),
              cursor: log ? { source: source.url, seq: request.seq, previous, at: ctx.now() } : undefined,
            }),
          storedCursor: log ? () => log.store.readRelayCursor(source.url) : undefined,
          fromStart: flags.fromStart === true,
          onEvent: (event) => {
            if (event.kind === "connected" && !ready && flags.readyFile) {
              writeReadyFile(resolve(ctx.cwd, flags.readyFile), receiver.url ?? source.url);
            }
            if (event.kind === "connected") ready = true;
            renderState(out, source, event, flags.verbose === true);
          },
        },
        stopped,
      );
      if (lost.signal.aborted && !ctx.signal.aborted) {
        throw new UsageError(
          `another hookctl listen --from took ${source.url} over in this log; this one stopped`,
          "run one listener per relay channel and log",
        );
      }
    });
  } finally {
    // Captures (and the cursor moving with them) committed before the source is let go: a
    // listener taking over then resumes after them, not before.
    await log?.capture.flush().catch(() => {});
    await hold?.release();
    await log?.close();
  }
}

/** The channel token: --relay-token-file, else HOOKCTL_RELAY_TOKEN; never from argv. */
async function relayToken(flags: ListenFlags, ctx: CliContext): Promise<string> {
  if (flags.relayTokenFile !== undefined) {
    const [token] = await readListFile(flags.relayTokenFile, ctx, "relay token file");
    if (!token)
      throw new UsageError(
        `relay token file ${flags.relayTokenFile} holds no token`,
        "put the channel's token in it",
      );
    return token;
  }
  const token = ctx.env[relayTokenVariable]?.trim();
  if (!token) {
    throw new UsageError(
      "--from needs the channel's token",
      `pass --relay-token-file <path> or set ${relayTokenVariable} (the token \`hookctl relay channel add\` printed)`,
    );
  }
  return token;
}

function renderState(out: Output, source: RelaySource, event: RelayClientEvent, verbose: boolean): void {
  const { style } = out;
  switch (event.kind) {
    case "connected": {
      const resume =
        event.resumeAfter === null
          ? "resuming after the relay's last acknowledged request"
          : `resuming after #${event.resumeAfter}`;
      out.note(
        event.reconnect ? `${style.ok("reconnected")} (${resume})` : `connected to ${source.url} (${resume})`,
      );
      return;
    }
    case "caught-up":
      out.note(`caught up (#${event.seq})`);
      return;
    case "disconnected":
      out.note(
        `${style.warn("disconnected:")} ${event.reason}; reconnecting in ${(event.retryInMs / 1000).toFixed(1)}s`,
      );
      return;
    case "corrupt":
      out.note(
        `${style.fail("error:")} request #${event.seq} from the relay is corrupted (body sha256 ${event.actual.slice(0, 12)}…, expected ${event.expected.slice(0, 12)}…): not passed on, not acknowledged; fetching it again`,
      );
      return;
    case "ack-failed":
      if (verbose)
        out.note(
          `${style.warn("warning:")} acknowledging #${event.seq} failed (${event.reason}); will retry`,
        );
      return;
  }
}
