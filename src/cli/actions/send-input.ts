import { maskUrl } from "../../contract/mask.js";
import { defaultTimeoutMs, endpointPolicy } from "../../delivery/endpoint-delivery.js";
import { listFixtureNames, loadFixture } from "../../delivery/fixtures.js";
import { defaultPolicy, mergePolicy, policyProblem } from "../../delivery/policy.js";
import type { SendTarget } from "../../delivery/send.js";
import { UsageError } from "../../errors.js";
import { parseSchemeName, type SchemeName, SigningError, sign } from "../../signing/index.js";
import type { EndpointRow } from "../../store/endpoints.js";
import type { EndpointStore } from "../../store/ports/endpoints.js";
import type { CliContext } from "../context.js";
import { headersFromFlags } from "../headers.js";
import type { GlobalOptions } from "../output.js";
import { type PayloadSource, readPayload } from "../payload.js";
import { type PolicyFlagValues, policyOverride } from "../policy-flags.js";
import { collectSecrets, type SecretFlags } from "../secrets.js";
import { checkHeaderBound, checkSendableHeader } from "../sendable.js";
import { type TlsFlags, tlsFromFlags } from "../tls-flags.js";
import { isUrlShorthand, parseHttpUrl } from "../urls.js";

export interface SendFlags extends GlobalOptions, PolicyFlagValues, SecretFlags, TlsFlags {
  data?: string;
  fixture?: string;
  listFixtures?: boolean;
  event?: string;
  header?: string[];
  scheme?: string;
  timeout?: number;
  count: number;
  concurrency?: number;
  rate?: number;
  duplicate: number;
  shuffle?: boolean;
  wait?: boolean;
}

export interface Payload {
  type: string;
  body: Buffer;
  contentType: string;
  /** Where it came from, for messages: `fixture ping`, `--data`, a path, `stdin`. */
  source: string;
}

export { defaultTimeoutMs };

/** The fixture names for a hint: `known fixtures: ping, order.created, …`. */
export function knownFixtures(): string {
  const names = listFixtureNames();
  return names.length > 0 ? `known fixtures: ${names.join(", ")}` : "no fixtures are installed";
}

/**
 * The payload from --fixture, --data, a file or stdin. With none of them (a terminal on stdin,
 * or stdin that turned out empty) it is the `ping` fixture, so `hookctl send <url>` just works.
 */
export async function resolvePayload(
  file: string | undefined,
  flags: SendFlags,
  ctx: CliContext,
): Promise<Payload> {
  if (flags.event !== undefined) checkEventType(flags.event);
  if (flags.fixture !== undefined) {
    if (file !== undefined || flags.data !== undefined) {
      throw new UsageError("give the payload once: --fixture, --data or a file");
    }
    return fixturePayload(flags.fixture, flags.event);
  }
  const source: PayloadSource = { file, data: flags.data };
  if (file === undefined && flags.data === undefined && ctx.stdin.isTTY)
    return fixturePayload("ping", flags.event);
  const body = await readPayload(source, ctx);
  if (body.length === 0 && file === undefined && flags.data === undefined)
    return fixturePayload("ping", flags.event);
  return {
    type: flags.event ?? "test.event",
    body,
    contentType: sniffContentType(body),
    source: flags.data !== undefined ? "--data" : file === undefined || file === "-" ? "stdin" : file,
  };
}

/** The event type goes out as X-Webhook-Event on every attempt. */
function checkEventType(type: string): void {
  if (type.trim() === "")
    throw new UsageError("--event is empty", "give an event type such as order.created");
  checkHeaderBound("--event", type);
}

function fixturePayload(name: string, eventType: string | undefined): Payload {
  const fixture = loadFixture(name);
  if (!fixture) throw new UsageError(`unknown fixture ${JSON.stringify(name)}`, knownFixtures());
  return {
    type: eventType ?? fixture.type,
    body: fixture.body,
    contentType: fixture.contentType,
    source: `fixture ${name}`,
  };
}

/** JSON, text or bytes: what Content-Type to announce when the user did not say. */
export function sniffContentType(body: Buffer): string {
  const text = body.toString("utf8");
  if (Buffer.from(text, "utf8").equals(body)) {
    try {
      JSON.parse(text);
      return "application/json";
    } catch {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: binary detection
      if (!/[\u0000-\u0008\u000e-\u001f]/.test(text)) return "text/plain; charset=utf-8";
    }
  }
  return "application/octet-stream";
}

/** Headers hookctl sets per attempt; -H may not replace these (dedupe and signatures rely on them). */
const reserved = new Map([
  ["x-webhook-delivery-id", "hookctl sets it: one id per delivery, the same on every attempt"],
  ["x-webhook-timestamp", "hookctl sets it at each attempt, and signatures cover it"],
  ["x-webhook-event", "use --event <type>"],
]);
const canonical = new Map([
  ["user-agent", "User-Agent"],
  ["traceparent", "traceparent"],
]);

/**
 * -H flags as extra headers. Content-Type becomes the event's content type; names hookctl also
 * sets take its casing so the user's value replaces ours instead of being sent twice.
 */
export function extraHeaders(flags: readonly string[] | undefined): {
  headers: Record<string, string>;
  contentType?: string;
} {
  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, value] of Object.entries(headersFromFlags(flags))) {
    const lower = name.toLowerCase();
    const why = reserved.get(lower);
    if (why) throw new UsageError(`-H cannot set ${name}`, why);
    checkSendableHeader(name, value);
    if (lower === "content-type") contentType = value;
    else headers[canonical.get(lower) ?? name] = value;
  }
  return { headers, contentType };
}

/** A URL or its `host:port[/path]` / `:port[/path]` shorthand, rather than an endpoint name. */
export function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || isUrlShorthand(text);
}

/** An endpoint by name, or a UsageError listing the known ones. */
export async function findEndpoint(store: EndpointStore, name: string): Promise<EndpointRow> {
  return (await store.getEndpointByName(name)) ?? unknownEndpoint(store, name);
}

/** The UsageError for an endpoint name the log does not have, naming the ones it has. */
export async function unknownEndpoint(store: EndpointStore, name: string): Promise<never> {
  const known = (await store.listEndpoints()).map((e) => e.name);
  const guess =
    /^[\w.-]+:\d+/.test(name) || name.startsWith("localhost") ? ` (did you mean http://${name}?)` : "";
  throw new UsageError(
    `unknown endpoint ${JSON.stringify(maskUrl(name))}${guess.replace(name, maskUrl(name))}`,
    known.length > 0
      ? `known endpoints: ${known.join(", ")}; or give an http(s) URL`
      : "no endpoints yet: give an http(s) URL, or add one with hookctl endpoint add <name> --url <url>",
  );
}

/**
 * Where and how to deliver: the endpoint's settings overlaid with the flags. Secrets from
 * flags (or HOOKCTL_SECRET for a bare URL) are stored with each delivery so retries sign the
 * same; an endpoint's own secrets are read at each attempt instead, so rotation applies.
 */
export async function resolveTarget(
  store: EndpointStore,
  targetArg: string,
  flags: SendFlags,
  ctx: CliContext,
  headers: Record<string, string>,
  warn: (line: string) => void = () => {},
): Promise<{ target: SendTarget; endpoint: EndpointRow | null; signing: readonly string[] }> {
  const endpoint = looksLikeUrl(targetArg) ? null : await findEndpoint(store, targetArg);
  const url = endpoint ? endpoint.url : parseHttpUrl(targetArg);
  const schemeText = flags.scheme ?? endpoint?.scheme ?? "hookctl";
  const scheme = parseSchemeName(schemeText);
  if (!scheme)
    throw new UsageError(`unknown scheme ${JSON.stringify(schemeText)}`, "see hookctl send --help");
  const fromFlags = endpoint && !flags.secret && !flags.secretFile ? null : await collectSecrets(flags, ctx);
  const signing = fromFlags ?? (endpoint ? await store.activeSecrets(endpoint.id, ctx.now()) : []);
  checkSecrets(scheme, signing);
  const policy = mergePolicy(endpoint ? endpointPolicy(endpoint) : defaultPolicy, policyOverride(flags));
  const problem = policyProblem(policy);
  if (problem) throw new UsageError(`bad retry policy: ${problem}`, "see hookctl backoff --help");
  const timeoutMs = flags.timeout ?? endpoint?.timeoutMs ?? defaultTimeoutMs;
  if (!(timeoutMs > 0)) throw new UsageError("--timeout must be above 0", "for example --timeout 10s");
  // Recorded with each delivery (the endpoint's copied too), so every replay connects the same way.
  const tls = (await tlsFromFlags(flags, ctx, url, warn)) ?? endpoint?.tls ?? null;
  return {
    target: {
      url,
      endpointId: endpoint?.id ?? null,
      endpointName: endpoint?.name ?? null,
      scheme,
      secrets: fromFlags && fromFlags.length > 0 ? fromFlags : null,
      extraHeaders: headers,
      timeoutMs,
      policy,
      tls,
    },
    endpoint,
    signing,
  };
}

/** Sign a sample once so a secret the scheme cannot use is bad input now, not a failure mid-run. */
export function checkSecrets(scheme: SchemeName, secrets: readonly string[]): void {
  if (secrets.length === 0) return;
  try {
    sign({ scheme, body: Buffer.from("{}"), secrets, id: "dlv_check", timestamp: 1 });
  } catch (error) {
    if (error instanceof SigningError) {
      throw new UsageError(
        `${error.message} (scheme ${scheme})`,
        "check the secret, or pick another --scheme",
      );
    }
    throw error;
  }
}
