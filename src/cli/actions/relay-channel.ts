import type { Command } from "commander";
import type { RelayChannelJson } from "../../contract/schema/relay.js";
import { ExitCode, UsageError } from "../../errors.js";
import { escapeControl } from "../../format/escape.js";
import { table } from "../../format/table.js";
import { channelNamePattern, newChannelToken } from "../../relay/token.js";
import { type RelayStore, relayStoreOf } from "../../store/ports/relay.js";
import type { RelayChannelStats } from "../../store/relay.js";
import { confirmOrRefuse } from "../confirm.js";
import type { CliContext } from "../context.js";
import { createOutput, type GlobalOptions } from "../output.js";
import { formatBytes } from "../render/received.js";
import { withLog } from "../store.js";

interface CapFlags {
  maxBody?: number;
  rate?: number;
  maxStored?: number;
}

/** A channel as `relay channel list --json` prints it (contract: relay-channel); null caps: the relay's. */
export function channelJson(channel: RelayChannelStats): RelayChannelJson {
  return {
    name: channel.name,
    storedCount: channel.storedCount,
    storedBytes: channel.storedBytes,
    lastSeq: channel.nextSeq - 1,
    ackedSeq: channel.ackedSeq,
    ackedAt: channel.ackedAt === null ? null : new Date(channel.ackedAt).toISOString(),
    maxBodyBytes: channel.maxBodyBytes,
    ratePerSecond: channel.ratePerSecond,
    maxStoredBytes: channel.maxStoredBytes,
    createdAt: new Date(channel.createdAt).toISOString(),
  };
}

/**
 * The caps typed for this channel. Commander hands a flag that `relay` itself also has
 * (--max-body, --rate, --max-stored) to `relay` wherever it stands, so those count when typed
 * (never relay's defaults: a channel without caps follows whatever the relay runs with).
 */
function channelCaps(command: Command): CapFlags {
  const own = command.opts<CapFlags>();
  const relay = command.parent?.parent;
  const typed = (name: keyof CapFlags): number | undefined =>
    own[name] ?? (relay?.getOptionValueSource(name) === "cli" ? relay.opts<CapFlags>()[name] : undefined);
  return { maxBody: typed("maxBody"), rate: typed("rate"), maxStored: typed("maxStored") };
}

async function requireChannel(store: RelayStore, name: string) {
  const channel = await store.getChannel(name);
  if (!channel) throw new UsageError(`no relay channel ${name}`, "see hookctl relay channel list");
  return channel;
}

/** `relay channel add`: the token is printed in full here, once; the log keeps its sha256 only. */
export async function runChannelAdd(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const caps = channelCaps(command);
  const out = createOutput(ctx, flags);
  if (!channelNamePattern.test(name)) {
    throw new UsageError(
      `bad channel name ${JSON.stringify(name)}`,
      "use a-z, 0-9, '-' or '_' (up to 63), starting with a letter or digit",
    );
  }
  const { token, sha256 } = newChannelToken(ctx.randomBytes);
  const channel = await withLog(flags, ctx, {}, async (log) => {
    const store = relayStoreOf(log);
    const added = await store.insertChannel({
      name,
      tokenSha256: sha256,
      maxBodyBytes: caps.maxBody,
      ratePerSecond: caps.rate,
      maxStoredBytes: caps.maxStored,
      createdAt: ctx.now(),
    });
    if (!added) {
      throw new UsageError(
        `relay channel ${name} exists already`,
        "pick another name, or hookctl relay channel rotate-token for a new token",
      );
    }
    return requireChannel(store, name);
  });
  if (out.json) {
    out.writeJson({ ...channelJson({ ...channel, storedCount: 0 }), token });
    return ExitCode.ok;
  }
  out.line(`${out.style.ok("✓")} added relay channel ${name}; providers post to <relay url>/c/${name}`);
  out.line(`token (shown once, only a hash is kept): ${token}`);
  return ExitCode.ok;
}

export async function runChannelList(command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(ctx, flags);
  const channels = await withLog(flags, ctx, { readOnly: true }, (log) => relayStoreOf(log).listChannels());
  if (out.json) {
    for (const channel of channels) out.writeJson(channelJson(channel));
    return ExitCode.ok;
  }
  if (channels.length === 0) {
    out.note("no relay channels yet; add one with hookctl relay channel add <name>");
    return ExitCode.ok;
  }
  const cells = channels.map((channel) => {
    const row = channelJson(channel);
    return [
      out.style.bold(escapeControl(row.name)),
      String(row.storedCount),
      formatBytes(row.storedBytes),
      String(row.lastSeq),
      String(row.ackedSeq),
      row.ackedAt ?? out.style.dim("never"),
      out.style.dim(capsText(channel)),
    ];
  });
  const columns = ["channel", "stored", "bytes", "last seq", "acked", "last ack", "caps"].map((header) => ({
    header,
  }));
  for (const line of table(columns, cells, { header: out.style.bold })) out.line(line);
  return ExitCode.ok;
}

function capsText(channel: RelayChannelStats): string {
  const body = channel.maxBodyBytes === null ? "default" : formatBytes(channel.maxBodyBytes);
  const rate = channel.ratePerSecond === null ? "default" : `${channel.ratePerSecond}/s`;
  const stored = channel.maxStoredBytes === null ? "default" : formatBytes(channel.maxStoredBytes);
  return `body ${body}, rate ${rate}, stored ${stored}`;
}

/** `relay channel rm`: asks on a terminal, needs --yes elsewhere; its stored requests go with it. */
export async function runChannelRm(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions & { yes?: boolean }>();
  const out = createOutput(ctx, flags);
  if (!flags.yes) {
    const stored = await withLog(flags, ctx, { mustExist: true }, async (log) => {
      const store = relayStoreOf(log);
      await requireChannel(store, name);
      return (await store.listChannels()).find((channel) => channel.name === name)?.storedCount ?? 0;
    });
    const what = `relay channel ${name} and its ${stored} stored ${stored === 1 ? "request" : "requests"}`;
    if (!(await confirmOrRefuse(ctx, `Remove ${what}?`, `refusing to remove ${what}`))) {
      out.note("nothing removed");
      return ExitCode.ok;
    }
  }
  const deleted = await withLog(flags, ctx, { mustExist: true }, (log) =>
    relayStoreOf(log).deleteChannel(name),
  );
  if (deleted === undefined)
    throw new UsageError(`no relay channel ${name}`, "see hookctl relay channel list");
  if (out.json) out.writeJson({ name, removed: true, deletedRequests: deleted });
  else out.line(`${out.style.ok("✓")} removed relay channel ${name} (${deleted} stored requests deleted)`);
  return ExitCode.ok;
}

/** `relay channel rotate-token`: a new token, printed once; the old one is refused from now on. */
export async function runChannelRotate(name: string, command: Command, ctx: CliContext): Promise<number> {
  const flags = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(ctx, flags);
  const { token, sha256 } = newChannelToken(ctx.randomBytes);
  const changed = await withLog(flags, ctx, { mustExist: true }, (log) =>
    relayStoreOf(log).setChannelToken(name, sha256),
  );
  if (!changed) throw new UsageError(`no relay channel ${name}`, "see hookctl relay channel list");
  if (out.json) out.writeJson({ name, token });
  else out.line(`${out.style.ok("✓")} new token for relay channel ${name} (shown once): ${token}`);
  return ExitCode.ok;
}
