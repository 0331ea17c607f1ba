import * as z from "zod/mini";
import { instant } from "./common.js";
import { headerList } from "./headers.js";

/**
 * `relay channel list --json` (one per line). Null caps follow the relay's own flags
 * (--max-body, --rate, --max-stored), whatever it runs with.
 */
export const relayChannel = z.object({
  name: z.string(),
  /** Requests stored now (retention removes the old ones). */
  storedCount: z.int(),
  /** Their bodies and headers as kept: what --max-stored caps. */
  storedBytes: z.int(),
  /** The last seq given out; 0 before the first request. */
  lastSeq: z.int(),
  /** The highest seq a listener acknowledged (never goes down, never past lastSeq). */
  ackedSeq: z.int(),
  ackedAt: z.nullable(instant),
  maxBodyBytes: z.nullable(z.int()),
  ratePerSecond: z.nullable(z.number()),
  maxStoredBytes: z.nullable(z.int()),
  createdAt: instant,
});

/** `relay channel add --json`: the token is shown here once; the relay keeps only its sha256. */
export const relayChannelAdded = z.extend(relayChannel, { token: z.string() });

/** `relay channel rotate-token --json`: the new token, shown once; the old one is refused at once. */
export const relayChannelRotated = z.object({ name: z.string(), token: z.string() });

export const relayChannelRemoved = z.object({
  name: z.string(),
  removed: z.boolean(),
  /** Stored requests deleted with it. */
  deletedRequests: z.int(),
});

/** `relay --json`: one per request that reached a channel's URL, stored or refused. */
export const relayIngress = z.object({
  channel: z.string(),
  /** Null when refused. */
  seq: z.nullable(z.int()),
  method: z.string(),
  /** Below /c/<channel>, as sent. */
  path: z.string(),
  /** What the provider was answered: 200 stored; 404, 405, 413, 429 or 507 refused. */
  statusCode: z.int(),
  /** Body bytes (0 when refused before the body was read). */
  bytes: z.int(),
  receivedAt: instant,
  /** Why it was refused, in one line; null when stored. */
  reason: z.nullable(z.string()),
});

export type RelayChannelJson = z.infer<typeof relayChannel>;
export type RelayIngressJson = z.infer<typeof relayIngress>;

/** One request a provider sent to the relay, exactly as stored. */
export const relayedRequest = z.object({
  /** Per channel, from 1, no gaps among stored requests. */
  seq: z.int(),
  channel: z.string(),
  method: z.string(),
  /** The path below `/c/<channel>` (at least "/"), as sent (percent-encoding kept). */
  path: z.string(),
  /** The raw query string without "?", "" when none. */
  query: z.string(),
  /** Every header as received, in order, repeats kept (Host, Content-Length and the like too). */
  headers: headerList,
  /** The body's bytes, always base64 (binary and non-UTF-8 bodies survive). */
  bodyBase64: z.string(),
  /** Hex sha256 of the body bytes: the listener checks it before anything else. */
  sha256: z.string(),
  receivedAt: instant,
});

export type RelayedRequestJson = z.infer<typeof relayedRequest>;
