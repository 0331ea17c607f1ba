import { UsageError } from "../../errors.js";
import type { AlertFlagValues } from "../alert-flags.js";
import { checkBindHost } from "../bind.js";
import type { CliContext } from "../context.js";
import type { GlobalOptions } from "../output.js";
import { readListFile } from "../secrets.js";

export interface ServeFlags extends GlobalOptions, AlertFlagValues {
  port: number;
  host: string;
  readyFile?: string;
  tokenFile?: string;
  maxBody: number;
  concurrency: number;
  leaseMargin?: number;
  durability: "full" | "normal";
  idempotencyTtl: number;
}

/**
 * Bearer tokens: --token-file (one per line), else HOOKCTL_SERVE_TOKEN (space-separated). Off
 * argv either way, so they never show in `ps`.
 */
export async function serveTokens(flags: ServeFlags, ctx: CliContext): Promise<string[]> {
  if (flags.tokenFile !== undefined) {
    const tokens = await readListFile(flags.tokenFile, ctx, "token file");
    if (tokens.length === 0)
      throw new UsageError(`token file ${flags.tokenFile} holds no token`, "put one token per line");
    return tokens;
  }
  return (ctx.env.HOOKCTL_SERVE_TOKEN ?? "").split(/\s+/).filter(Boolean);
}

/** The address to bind, refused beyond loopback without a token: anyone could post events. */
export function serveHost(flags: ServeFlags, tokens: readonly string[]): string {
  const { host, loopback } = checkBindHost(flags.host);
  if (!loopback && tokens.length === 0) {
    throw new UsageError(
      `refusing to serve on ${host} without a token: anyone who can reach it could post events`,
      "pass --token-file <path> or set HOOKCTL_SERVE_TOKEN (or bind 127.0.0.1)",
    );
  }
  if (!(flags.idempotencyTtl > 0)) {
    throw new UsageError("--idempotency-ttl must be longer than 0", "for example --idempotency-ttl 24h");
  }
  return host;
}
